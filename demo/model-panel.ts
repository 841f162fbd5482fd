/** The model panel: where the model comes from, loading with progress and cancel, the cache. */
import type { CachedModelInfo, ModelSource } from '../src/engine/types.ts';
import { huggingFaceUrl } from '../src/huggingface.ts';
import { $, describeMode, describeReport, type DemoState } from './ui.ts';

const bundledModelUrl = new URL('./models/stories260K.gguf', import.meta.url).href;

function selectedSource(): ModelSource {
  const choice = (document.querySelector('input[name="source"]:checked') as HTMLInputElement).value;
  if (choice === 'url') {
    const url = $<HTMLInputElement>('model-url').value.trim();
    if (!url) throw new Error('Enter a model URL first');
    return { url };
  }
  if (choice === 'hf') {
    return { url: huggingFaceUrl({ repo: $<HTMLInputElement>('hf-repo').value.trim(), file: $<HTMLInputElement>('hf-file').value.trim() }) };
  }
  if (choice === 'file') {
    const file = $<HTMLInputElement>('model-file').files?.[0];
    if (!file) throw new Error('Choose a .gguf file first');
    return { blob: file };
  }
  return { url: bundledModelUrl };
}

function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

export function setUpModelPanel(state: DemoState, options: { threads?: number; debug: boolean }): { load(): Promise<void> } {
  const loadButton = $<HTMLButtonElement>('load');
  const cancelButton = $<HTMLButtonElement>('cancel-load');
  const progressBar = $<HTMLProgressElement>('progress');
  const progressText = $('progress-text');
  const modelInfo = $('model-info');
  const modeLine = $('mode');
  const contextBox = $<HTMLInputElement>('context');
  const threadsBox = $<HTMLInputElement>('threads');
  const cacheList = $('cache-list');
  if (options.threads) threadsBox.value = String(options.threads);
  let controller: AbortController | undefined;

  async function refreshCache(): Promise<void> {
    let entries: CachedModelInfo[];
    try {
      entries = await state.engine.listCachedModels();
    } catch {
      entries = [];
    }
    cacheList.replaceChildren();
    if (entries.length === 0) {
      const empty = document.createElement('li');
      empty.textContent = 'nothing cached yet';
      cacheList.append(empty);
    }
    for (const entry of entries) {
      const item = document.createElement('li');
      item.textContent = `${entry.url} · ${formatBytes(entry.size)}`;
      const remove = document.createElement('button');
      remove.textContent = 'Delete';
      remove.addEventListener('click', () => void state.engine.deleteCachedModel(entry.url).then(refreshCache));
      item.append(remove);
      cacheList.append(item);
    }
  }

  async function load(): Promise<void> {
    await state.exclusive(async () => {
      controller = new AbortController();
      cancelButton.disabled = false;
      progressBar.value = 0;
      progressText.textContent = '';
      modelInfo.textContent = 'loading…';
      state.report = undefined;
      state.changed();
      try {
        const threads = Number(threadsBox.value) || undefined;
        const report = await state.engine.load(selectedSource(), {
          contextLength: Number(contextBox.value) || undefined,
          threads,
          debug: options.debug,
          signal: controller.signal,
          onProgress: (p) => {
            progressBar.value = p.total > 0 ? p.loaded / p.total : 0;
            progressText.textContent = `${p.phase}: ${formatBytes(p.loaded)} of ${formatBytes(p.total)}`;
          },
        });
        progressBar.value = 1;
        state.report = report;
        modelInfo.textContent = describeReport(report);
        modeLine.textContent = describeMode(report);
      } catch (error) {
        modelInfo.textContent = 'no model loaded';
        throw error;
      } finally {
        cancelButton.disabled = true;
        controller = undefined;
        void refreshCache();
      }
    });
  }

  loadButton.addEventListener('click', () => void load());
  cancelButton.addEventListener('click', () => controller?.abort());
  $('model-file').addEventListener('change', () => {
    (document.querySelector('input[name="source"][value="file"]') as HTMLInputElement).checked = true;
  });
  state.onChange(() => { loadButton.disabled = state.busy; });
  void refreshCache();
  return { load };
}
