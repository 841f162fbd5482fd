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

declare global {
  interface Window { __poolBench?: unknown; __poolBenchError?: string }
}

const params = new URLSearchParams(location.search);
const runs = Number(params.get('runs') ?? 5);
const tokens = Number(params.get('tokens') ?? 32);
const quick = params.has('quick');
const logBox = document.getElementById('log')!;
const log = (s: string) => { logBox.textContent += s + '\n'; console.log(s); };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

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

async function decode(name: string, source: { blob: Blob } | { bytes: Uint8Array }, threads: number) {
  const engine = new WorkerEngine(startEngineWorker());
  try {
    const t0 = performance.now();
    const report = await engine.load(source, { threads, contextLength: 256 });
    const loadMs = performance.now() - t0;
    if (report.threads !== threads) throw new Error(`${name}: asked for ${threads} threads, the engine runs ${report.threads} (${report.threadNote})`);
    await engine.generate('Once upon a time', { maxTokens: 4, temperature: 0, stopAtEos: false }); // warm up
    const tps: number[] = [];
    for (let r = 0; r < runs; r++) {
      const g = await engine.generate('Once upon a time', { maxTokens: tokens, temperature: 0, stopAtEos: false });
      tps.push(g.decodeTokensPerSecond);
    }
    log(`${name} · ${threads} thread(s): ${tps.map((x) => x.toFixed(1)).join(' ')} tok/s (load ${loadMs.toFixed(0)} ms)`);
    return { model: name, threads, threadNote: report.threadNote, tokPerS: median(tps), runs: tps, loadMs };
  } finally {
    engine.terminate();
  }
}

async function main() {
  const flavor = detectFlavor();
  log(`flavor ${flavor}, hardwareConcurrency ${navigator.hardwareConcurrency}, isolated ${crossOriginIsolated}`);
  const pr = await probe(flavor);
  log(`bandwidth 1 thread ${pr.bandwidthGBs[1].toFixed(1)} GB/s, 2 threads ${pr.bandwidthGBs[2].toFixed(1)} GB/s; barrier ${pr.barrierNs.toFixed(0)} ns`);

  const decodeRows: Array<Record<string, unknown>> = [];
  const stories = new Uint8Array(await (await fetch(new URL('../../demo/models/stories260K.gguf', import.meta.url))).arrayBuffer());
  for (const t of [1, 2]) decodeRows.push({ ...(await decode('stories260K (F32)', { bytes: stories }, t)), bytesPerToken: null });

  const spec = quick ? { ...BIG, nLayer: 4 } : BIG;
  const t0 = performance.now();
  const syn = syntheticLlama(spec);
  const blob = new Blob([syn.header as BlobPart, ...(syn.parts as BlobPart[])]);
  syn.parts.length = 0;
  log(`synthetic model: ${(blob.size / 1e6).toFixed(0)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  const name = `synthetic llama Q8_0 ${spec.nEmbd}x${spec.nLayer} (ff ${spec.nFf}, vocab ${spec.nVocab})`;
  const bpt = bytesPerToken(spec, syn.weightBytes);
  for (const t of [1, 2]) decodeRows.push({ ...(await decode(name, { blob }, t)), bytesPerToken: bpt });

  for (const r of decodeRows) {
    const bw = pr.bandwidthGBs[r.threads as number];
    if (r.bytesPerToken) {
      r.rooflineTokPerS = (bw * 1e9) / (r.bytesPerToken as number);
      r.rooflineFraction = (r.tokPerS as number) / (r.rooflineTokPerS as number);
    }
  }
  window.__poolBench = { flavor, hardwareConcurrency: navigator.hardwareConcurrency, runs, tokens, probe: pr, decode: decodeRows, weightBytes: syn.weightBytes, fileBytes: blob.size };
}

main().catch((e) => { window.__poolBenchError = String((e as Error).stack ?? e); log('ERROR ' + window.__poolBenchError); });
