/** The completion tab: continue a prompt, streaming, with stop. */
import { $, type DemoState } from './ui.ts';

export function setUpCompleteTab(state: DemoState): void {
  const generateButton = $<HTMLButtonElement>('generate');
  const stopButton = $<HTMLButtonElement>('stop');
  const promptBox = $<HTMLTextAreaElement>('prompt');
  const maxTokensBox = $<HTMLInputElement>('max-tokens');
  const temperatureBox = $<HTMLInputElement>('temperature');
  const seedBox = $<HTMLInputElement>('seed');
  const output = $<HTMLPreElement>('output');
  const stats = $('stats');
  let running = false;

  async function generate(): Promise<void> {
    await state.exclusive(async () => {
      running = true;
      stopButton.disabled = false;
      output.textContent = '';
      delete output.dataset.finished;
      stats.textContent = '';
      const promptNode = document.createElement('b');
      promptNode.textContent = promptBox.value;
      output.append(promptNode);
      let count = 0;
      const started = performance.now();
      try {
        const result = await state.engine.generate(promptBox.value, {
          maxTokens: Number(maxTokensBox.value) || 64,
          temperature: Number(temperatureBox.value) || 0,
          seed: seedBox.value === '' ? undefined : Number(seedBox.value),
        }, (chunk) => {
          output.append(document.createTextNode(chunk.text));
          count += chunk.tokens.length;
          stats.textContent = `${count} tokens · ${(count / ((performance.now() - started) / 1000)).toFixed(1)} tok/s`;
        });
        stats.textContent = `${result.completionTokens} tokens · prefill ${result.prefillTokensPerSecond.toFixed(1)} tok/s · ` +
          `decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s · first token ${result.timeToFirstTokenMs.toFixed(1)} ms · ` +
          `${result.finishReason} · seed ${result.seed}`;
        output.dataset.finished = result.finishReason;
      } finally {
        running = false;
        stopButton.disabled = true;
      }
    });
  }

  generateButton.addEventListener('click', () => void generate());
  stopButton.addEventListener('click', () => { if (running) void state.engine.stop(); });
  state.onChange(() => { generateButton.disabled = state.busy || !state.loaded; });
}
