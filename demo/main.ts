/**
 * The demo page. It only talks to the engine worker (WorkerEngine); every
 * string that comes from the model or its metadata is shown with textContent,
 * never as HTML.
 */
import { WorkerEngine } from '../src/client/worker-engine.ts';
import { startEngineWorker } from '../src/client/default-worker.ts';
import type { EngineReport, ModelSource } from '../src/engine/types.ts';
import { LutraError } from '../src/errors.ts';

const bundledModelUrl = new URL('./models/stories260K.gguf', import.meta.url).href;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modeLine = $<HTMLParagraphElement>('mode');
const loadButton = $<HTMLButtonElement>('load');
const generateButton = $<HTMLButtonElement>('generate');
const stopButton = $<HTMLButtonElement>('stop');
const progressBar = $<HTMLProgressElement>('progress');
const modelInfo = $<HTMLParagraphElement>('model-info');
const promptBox = $<HTMLTextAreaElement>('prompt');
const maxTokensBox = $<HTMLInputElement>('max-tokens');
const temperatureBox = $<HTMLInputElement>('temperature');
const seedBox = $<HTMLInputElement>('seed');
const output = $<HTMLPreElement>('output');
const stats = $<HTMLSpanElement>('stats');
const errorBox = $<HTMLParagraphElement>('error');
const urlBox = $<HTMLInputElement>('model-url');
const fileBox = $<HTMLInputElement>('model-file');

const engine = new WorkerEngine(startEngineWorker());

// ?threads=N overrides the thread count; ?debug enables the engine's test hooks and
// exposes the engine as window.lutraEngine (used by the browser tests).
const params = new URLSearchParams(location.search);
const threadsParam = params.get('threads');
const debug = params.has('debug');
if (debug) (window as unknown as { lutraEngine: WorkerEngine }).lutraEngine = engine;
let loaded = false;

function showError(error: unknown): void {
  const text = error instanceof LutraError ? `${error.name} (${error.code}): ${error.message}`
    : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

function describe(report: EngineReport): string {
  const types = Object.entries(report.tensorTypes).map(([t, n]) => `${n}×${t}`).join(', ');
  const mb = (n: number) => (n / 1e6).toFixed(1) + ' MB';
  return `${report.source} (${report.modelName}) · ${report.architecture} · ${(report.parameters / 1e6).toFixed(2)}M params · ` +
    `${types} · weights ${mb(report.weightBytes)} · ctx ${report.contextLength} · vocab ${report.vocabSize}`;
}

function selectedSource(): ModelSource {
  const choice = (document.querySelector('input[name="source"]:checked') as HTMLInputElement).value;
  if (choice === 'url') {
    if (!urlBox.value) throw new Error('Enter a model URL first');
    return { url: urlBox.value };
  }
  if (choice === 'file') {
    const file = fileBox.files?.[0];
    if (!file) throw new Error('Choose a .gguf file first');
    return { blob: file };
  }
  return { url: bundledModelUrl };
}

async function loadModel(): Promise<void> {
  clearError();
  loadButton.disabled = true;
  generateButton.disabled = true;
  progressBar.value = 0;
  modelInfo.textContent = 'loading…';
  try {
    const report = await engine.load(selectedSource(), {
      threads: threadsParam ? Number(threadsParam) : undefined,
      debug,
      onProgress: (p) => { progressBar.value = p.total > 0 ? p.loaded / p.total : 0; },
    });
    progressBar.value = 1;
    loaded = true;
    modelInfo.textContent = describe(report);
    modeLine.textContent = `${report.flavor === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} · ${report.threads} thread${report.threads > 1 ? 's' : ''} · ${report.threadNote}`;
  } catch (error) {
    modelInfo.textContent = loaded ? 'load failed; the previous model was unloaded' : 'no model loaded';
    loaded = false;
    showError(error);
  } finally {
    loadButton.disabled = false;
    generateButton.disabled = !loaded;
  }
}

async function generate(): Promise<void> {
  clearError();
  generateButton.disabled = true;
  loadButton.disabled = true;
  stopButton.disabled = false;
  output.textContent = '';
  stats.textContent = '';
  const promptNode = document.createElement('b');
  promptNode.textContent = promptBox.value;
  output.append(promptNode);
  let count = 0;
  const started = performance.now();
  try {
    const result = await engine.generate(promptBox.value, {
      maxTokens: Number(maxTokensBox.value) || 64,
      temperature: Number(temperatureBox.value) || 0,
      seed: seedBox.value === '' ? undefined : Number(seedBox.value),
    }, (chunk) => {
      output.append(document.createTextNode(chunk.text));
      count += chunk.tokens.length;
      const seconds = (performance.now() - started) / 1000;
      stats.textContent = `${count} tokens · ${(count / seconds).toFixed(1)} tok/s`;
    });
    stats.textContent = `${result.completionTokens} tokens · prefill ${result.prefillTokensPerSecond.toFixed(1)} tok/s · ` +
      `decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s · first token ${result.timeToFirstTokenMs.toFixed(1)} ms · ${result.finishReason}`;
    output.dataset.finished = result.finishReason;
  } catch (error) {
    showError(error);
  } finally {
    stopButton.disabled = true;
    generateButton.disabled = !loaded;
    loadButton.disabled = false;
  }
}

loadButton.addEventListener('click', () => void loadModel());
generateButton.addEventListener('click', () => void generate());
stopButton.addEventListener('click', () => void engine.stop());
fileBox.addEventListener('change', () => {
  (document.querySelector('input[name="source"][value="file"]') as HTMLInputElement).checked = true;
});

modeLine.textContent = self.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated: one thread';
void loadModel();
