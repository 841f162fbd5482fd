/**
 * The worker-pool benchmark page (bench/pool/run.ts drives it in headless Chromium):
 *   1. memory bandwidth on 1 and 2 threads and the cost of one barrier (probe.worker.ts)
 *   2. end-to-end decode tokens/s through the real engine (WorkerEngine: engine worker +
 *      kernel workers) at 1 and 2 threads, greedy, `runs` generations each, median, for
 *      stories260K and a synthetic Q8_0 llama of ~0.9 GB (TinyLlama-like shape, random
 *      weights made in this page, handed over as a Blob)
 * Results land in window.__poolBench.
 */
import { WorkerEngine } from '../../src/client/worker-engine.ts';
import { startEngineWorker } from '../../src/client/default-worker.ts';
import { detectFlavor } from '../../src/wasm/flavor.ts';
import { syntheticLlama, type SyntheticLlamaSpec } from '../../test/runtime/synthetic-llama.ts';
import { median, pageLog } from '../lib/page.ts';

declare global {
  interface Window { __poolBench?: unknown; __poolBenchError?: string }
}

const params = new URLSearchParams(location.search);
const runs = Number(params.get('runs') ?? 7);
const tokens = Number(params.get('tokens') ?? 32);
const quick = params.has('quick');
const log = pageLog();

export const BIG: SyntheticLlamaSpec = {
  nVocab: 32000, nEmbd: 2048, nLayer: 16, nHead: 32, nHeadKv: 4, nFf: 5632, contextLength: 2048, type: 8, seed: 1, vocab: true,
};

/** Weight bytes one decode step reads: every matrix but the embedding (one row of it), plus norms. */
function bytesPerToken(spec: SyntheticLlamaSpec, weightBytes: number): number {
  const embd = spec.type === 8 ? (spec.nEmbd * spec.nVocab / 32) * 34 : spec.nEmbd * spec.nVocab * (spec.type === 1 ? 2 : 4);
  return weightBytes - embd + (spec.tied ? embd : 0);
}

async function probe(flavor: string) {
  const w = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' });
  const res = await new Promise<Record<string, unknown>>((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.postMessage({ flavor, reps: quick ? 3 : 7 });
  });
  w.terminate();
  if (res.error) throw new Error(String(res.error));
  return res as { bandwidthGBs: Record<number, number>; bandwidthRuns: Record<number, number[]>; barrierNs: number; barrierRuns: number[] };
}

/**
 * Both thread counts loaded side by side (two engines) and their generations interleaved
 * (1, 2, 1, 2, ...): this machine's 2 cores are shared with other sessions, and
 * alternating lets both settings see the same background load. An idle engine costs
 * nothing: its kernel worker sleeps in memory.atomic.wait.
 */
async function decodePair(name: string, source: { blob: Blob } | { bytes: Uint8Array }, bytesPerToken: number | null) {
  const threads = [1, 2];
  const engines = threads.map(() => new WorkerEngine(startEngineWorker()));
  try {
    const rows = [];
    for (let i = 0; i < threads.length; i++) {
      const t0 = performance.now();
      const report = await engines[i].load(source, { threads: threads[i], contextLength: 256 });
      const loadMs = performance.now() - t0;
      if (report.threads !== threads[i]) throw new Error(`${name}: asked for ${threads[i]} threads, the engine runs ${report.threads} (${report.threadNote})`);
      await engines[i].generate('Once upon a time', { maxTokens: 4, temperature: 0, stopAtEos: false }); // warm up
      rows.push({ model: name, threads: threads[i], threadNote: report.threadNote, loadMs, runs: [] as number[], tokPerS: 0, bestTokPerS: 0, bytesPerToken });
    }
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < threads.length; i++) {
        const g = await engines[i].generate('Once upon a time', { maxTokens: tokens, temperature: 0, stopAtEos: false });
        rows[i].runs.push(g.decodeTokensPerSecond);
      }
    }
    for (const row of rows) {
      row.tokPerS = median(row.runs);
      row.bestTokPerS = Math.max(...row.runs);
      log(`${name} · ${row.threads} thread(s): ${row.runs.map((x) => x.toFixed(1)).join(' ')} tok/s (load ${row.loadMs.toFixed(0)} ms)`);
    }
    return rows;
  } finally {
    for (const e of engines) e.terminate();
  }
}

async function main() {
  const flavor = detectFlavor();
  log(`flavor ${flavor}, hardwareConcurrency ${navigator.hardwareConcurrency}, isolated ${crossOriginIsolated}`);
  const pr = await probe(flavor);
  log(`bandwidth 1 thread ${pr.bandwidthGBs[1].toFixed(1)} GB/s, 2 threads ${pr.bandwidthGBs[2].toFixed(1)} GB/s; barrier ${pr.barrierNs.toFixed(0)} ns`);

  const decodeRows: Array<Record<string, unknown>> = [];
  const stories = new Uint8Array(await (await fetch(new URL('../../demo/models/stories260K.gguf', import.meta.url))).arrayBuffer());
  decodeRows.push(...(await decodePair('stories260K (F32)', { bytes: stories }, null)));

  const spec = quick ? { ...BIG, nLayer: 4 } : BIG;
  const t0 = performance.now();
  const syn = syntheticLlama(spec);
  const blob = new Blob([syn.header as BlobPart, ...(syn.parts as BlobPart[])]);
  syn.parts.length = 0;
  log(`synthetic model: ${(blob.size / 1e6).toFixed(0)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  const name = `synthetic llama Q8_0 ${spec.nEmbd}x${spec.nLayer} (ff ${spec.nFf}, vocab ${spec.nVocab})`;
  const bpt = bytesPerToken(spec, syn.weightBytes);
  decodeRows.push(...(await decodePair(name, { blob }, bpt)));
  const pr2 = await probe(flavor);
  log(`again: bandwidth 1 thread ${pr2.bandwidthGBs[1].toFixed(1)} GB/s, 2 threads ${pr2.bandwidthGBs[2].toFixed(1)} GB/s; barrier ${pr2.barrierNs.toFixed(0)} ns`);

  // the roofline uses the better of the two bandwidth probes (before and after the decode runs)
  const bandwidth = { 1: Math.max(pr.bandwidthGBs[1], pr2.bandwidthGBs[1]), 2: Math.max(pr.bandwidthGBs[2], pr2.bandwidthGBs[2]) };
  for (const r of decodeRows) {
    const bw = bandwidth[r.threads as 1 | 2];
    if (r.bytesPerToken) {
      r.rooflineTokPerS = (bw * 1e9) / (r.bytesPerToken as number);
      r.rooflineFraction = (r.tokPerS as number) / (r.rooflineTokPerS as number);
      r.bestRooflineFraction = (r.bestTokPerS as number) / (r.rooflineTokPerS as number);
    }
  }
  window.__poolBench = { flavor, hardwareConcurrency: navigator.hardwareConcurrency, runs, tokens, probe: pr, probeAfter: pr2, bandwidth, decode: decodeRows, weightBytes: syn.weightBytes, fileBytes: blob.size };
}

main().catch((e) => { window.__poolBenchError = String((e as Error).stack ?? e); log('ERROR ' + window.__poolBenchError); });
