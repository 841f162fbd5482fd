/**
 * What the demo's parts share: the engine, whether a model is loaded, element
 * lookup and error display. Text from models always goes in with textContent.
 */
import type { WorkerEngine } from '../src/client/worker-engine.ts';
import type { EngineReport } from '../src/engine/types.ts';
import { LutraError } from '../src/errors.ts';

export function $<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo: no element #${id}`);
  return element as T;
}

export class DemoState {
  report: EngineReport | undefined;
  /** A load, generation or benchmark is running: controls that would start another are disabled. */
  busy = false;
  private readonly listeners: Array<() => void> = [];

  constructor(readonly engine: WorkerEngine) {}

  get loaded(): boolean {
    return this.report !== undefined;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Runs `work` as the one busy task; errors are shown on the page. */
  async exclusive(work: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    clearError();
    this.busy = true;
    this.changed();
    try {
      await work();
    } catch (error) {
      showError(error);
    } finally {
      this.busy = false;
      this.changed();
    }
  }
}

export function showError(error: unknown): void {
  const box = $('error');
  box.textContent = error instanceof LutraError ? `${error.name} (${error.code}): ${error.message}`
    : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  box.hidden = false;
}

export function clearError(): void {
  const box = $('error');
  box.hidden = true;
  box.textContent = '';
}

export function describeReport(report: EngineReport): string {
  const types = Object.entries(report.tensorTypes).map(([t, n]) => `${n}×${t}`).join(', ');
  const mb = (n: number) => (n / 1e6).toFixed(1) + ' MB';
  return `${report.source} (${report.modelName}) · ${report.architecture} · ${(report.parameters / 1e6).toFixed(2)}M params · ` +
    `${types} · weights ${mb(report.weightBytes)} · ctx ${report.contextLength} · vocab ${report.vocabSize} · ` +
    `wasm memory ${mb(report.memoryBytes)}`;
}

export function describeMode(report: EngineReport): string {
  const kernels = Object.entries(report.kernels).map(([k, n]) => `${n}× ${k}`).join(', ');
  // the 4-bit types whose kernel this browser timed at load (LUT vs multiply-add)
  const timed = report.kernelCalibration.map((c) => `${c.type} at ${c.K}: LUT ${c.lutMs.toFixed(3)} / MAD ${c.madMs.toFixed(3)} ms → ${c.kernel}`).join('; ');
  return `${report.flavor === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} · ${report.threads} thread${report.threads > 1 ? 's' : ''} · ${report.threadNote}` +
    ` · kernels: ${kernels}${timed ? ` (timed here: ${timed})` : ''}`;
}
