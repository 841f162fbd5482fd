/**
 * The benchmark tab: prefill and decode speed of the loaded model, several
 * runs, medians, drawn as an SVG bar chart (built with DOM calls, no HTML strings).
 */
import { $, type DemoState } from './ui.ts';

const SVG = 'http://www.w3.org/2000/svg';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  return node;
}

function drawChart(container: HTMLElement, bars: Array<{ label: string; value: number; runs: number[] }>): void {
  const width = 560, rowHeight = 34, left = 150, height = bars.length * rowHeight + 10;
  const max = Math.max(...bars.flatMap((b) => b.runs), 1);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  bars.forEach((bar, i) => {
    const y = 5 + i * rowHeight;
    const label = svg('text', { x: 0, y: y + 20, 'font-size': 13 });
    label.textContent = bar.label;
    const w = ((width - left - 90) * bar.value) / max;
    const rect = svg('rect', { x: left, y: y + 4, width: Math.max(1, w), height: 22, fill: i % 2 ? '#6b8f71' : '#3f6b8f', rx: 3 });
    const value = svg('text', { x: left + w + 6, y: y + 20, 'font-size': 13 });
    value.textContent = `${bar.value.toFixed(1)} tok/s`;
    root.append(label, rect, value);
    for (const run of bar.runs) {
      root.append(svg('line', { x1: left + ((width - left - 90) * run) / max, x2: left + ((width - left - 90) * run) / max, y1: y + 2, y2: y + 28, stroke: '#222', 'stroke-width': 1 }));
    }
  });
  container.replaceChildren(root);
}

export function setUpBenchTab(state: DemoState): void {
  const runButton = $<HTMLButtonElement>('bench-run');
  const status = $('bench-status');
  const chart = $('bench-chart');

  async function run(): Promise<void> {
    await state.exclusive(async () => {
      const report = state.report!;
      const promptTokens = Math.max(1, Number($<HTMLInputElement>('bench-prefill').value) || 64);
      const decodeTokens = Math.max(1, Number($<HTMLInputElement>('bench-decode').value) || 64);
      const runs = Math.min(20, Math.max(1, Number($<HTMLInputElement>('bench-runs').value) || 3));
      if (promptTokens + decodeTokens >= report.contextLength) throw new Error(`prompt + generated tokens must fit the context (${report.contextLength})`);
      // A prompt of exactly `promptTokens` tokens: a repeated story sentence, cut to length.
      const ids = await state.engine.tokenize('Once upon a time, there was a little girl who liked to play in the park. '.repeat(Math.ceil(promptTokens / 8) + 1));
      const prompt = await state.engine.detokenize(ids.slice(0, promptTokens - 1));
      const prefill: number[] = [], decode: number[] = [];
      for (let i = 0; i < runs; i++) {
        status.textContent = `run ${i + 1} of ${runs}…`;
        const result = await state.engine.generate(prompt, { maxTokens: decodeTokens, temperature: 0, stopAtEos: false });
        prefill.push(result.prefillTokensPerSecond);
        decode.push(result.decodeTokensPerSecond);
      }
      drawChart(chart, [
        { label: `prefill (${promptTokens} tok)`, value: median(prefill), runs: prefill },
        { label: `decode (${decodeTokens} tok)`, value: median(decode), runs: decode },
      ]);
      status.textContent = `${report.source} · ${report.threads} thread${report.threads > 1 ? 's' : ''} · ${report.flavor} · ` +
        `median of ${runs}: prefill ${median(prefill).toFixed(1)} tok/s, decode ${median(decode).toFixed(1)} tok/s`;
      status.dataset.done = 'true';
    });
  }

  runButton.addEventListener('click', () => void run());
  state.onChange(() => { runButton.disabled = state.busy || !state.loaded; });
}
