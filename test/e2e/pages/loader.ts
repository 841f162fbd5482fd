/**
 * Test page for the loader's browser tests: a WorkerEngine as window.lutraTest,
 * and run(), which loads a model and returns a plain result (report or error
 * fields, progress events) that page.evaluate can bring back.
 */
import { WorkerEngine } from '../../../src/client/worker-engine.ts';
import { startEngineWorker } from '../../../src/client/default-worker.ts';
import type { LoadOptions, LoadProgress, ModelSource } from '../../../src/engine/types.ts';

const engine = new WorkerEngine(startEngineWorker());

export interface RunResult {
  ok: boolean;
  report?: Awaited<ReturnType<WorkerEngine['load']>>;
  error?: { name: string; code?: string; message: string; needed?: number; available?: number; maxContextLength?: number };
  progress: LoadProgress[];
  ms: number;
}

async function run(source: ModelSource, options: LoadOptions & { abortAfterBytes?: number } = {}): Promise<RunResult> {
  const progress: LoadProgress[] = [];
  const ctrl = new AbortController();
  const { abortAfterBytes, ...rest } = options;
  const t0 = performance.now();
  try {
    const report = await engine.load(source, {
      ...rest,
      signal: abortAfterBytes !== undefined ? ctrl.signal : rest.signal,
      onProgress: (p) => {
        progress.push(p);
        if (abortAfterBytes !== undefined && p.phase === 'download' && p.loaded >= abortAfterBytes) ctrl.abort();
      },
    });
    return { ok: true, report, progress, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    return {
      ok: false, progress, ms: performance.now() - t0,
      error: {
        name: err.name, code: err.code as string | undefined, message: err.message,
        needed: err.needed as number | undefined, available: err.available as number | undefined,
        maxContextLength: err.maxContextLength as number | undefined,
      },
    };
  }
}

async function generate(prompt: string, maxTokens: number): Promise<string> {
  return (await engine.generate(prompt, { maxTokens, temperature: 0 })).text;
}

Object.assign(window, { lutraTest: { engine, run, generate } });
document.getElementById('ready')!.textContent = 'ready';
