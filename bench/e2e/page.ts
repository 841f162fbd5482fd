/**
 * The end-to-end benchmark page (bench/e2e/run.ts drives it in headless Chromium):
 *   1. memory bandwidth on 1 and 2 threads (bench/pool/probe.worker.ts: strong streaming read)
 *   2. for each synthetic model (random weights made in this page, real layer shapes, fewer
 *      layers): prefill of a 128-token prompt and decode of 64 tokens through the whole engine
 *      (WorkerEngine: engine worker + kernel workers), 1 and 2 threads interleaved, `runs`
 *      generations each, medians
 *   3. bandwidth again; the roofline uses the better of the two probes
 * Results land in window.__e2eBench.
 */
import { WorkerEngine } from '../../src/client/worker-engine.ts';
import { startEngineWorker } from '../../src/client/default-worker.ts';
import { detectFlavor, type SimdFlavor } from '../../src/wasm/flavor.ts';
import { GGMLType, tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { chooseKernel, kernelBytes } from '../../src/model/kernel-choice.ts';
import type { GGUFTensorInfo } from '../../src/gguf/types.ts';
import { syntheticLlama, type SyntheticLlamaSpec } from '../../test/runtime/synthetic-llama.ts';
import { median, pageLog } from '../lib/page.ts';

declare global {
  interface Window { __e2eBench?: unknown; __e2eBenchError?: string }
}

const params = new URLSearchParams(location.search);
const runs = Number(params.get('runs') ?? 3);
const layers = Number(params.get('layers') ?? 4);
const only = params.get('only');
const log = pageLog();

// real widths, `layers` layers, a 32000-token vocabulary (Llama 2's; Llama 3.2's 128256 would
// make the output head a third of the model at 4 layers)
const LLAMA_1B = { nVocab: 32000, nEmbd: 2048, nHead: 32, nHeadKv: 8, nFf: 8192, tied: true };
const BITNET_2B = { nVocab: 32000, nEmbd: 2560, nHead: 20, nHeadKv: 5, nFf: 6912, tied: true };

interface Case { model: string; quant: string; type: number; shape: typeof LLAMA_1B; matmul: 'auto' | 'lut' | 'mad'; ternaryTables?: 'int8' }
const CASES: Case[] = [
  { model: 'llama-3.2-1b-shape', quant: 'Q4_0', type: GGMLType.Q4_0, shape: LLAMA_1B, matmul: 'auto' },
  { model: 'llama-3.2-1b-shape', quant: 'Q4_0', type: GGMLType.Q4_0, shape: LLAMA_1B, matmul: 'lut' },
  { model: 'llama-3.2-1b-shape', quant: 'Q2_K', type: GGMLType.Q2_K, shape: LLAMA_1B, matmul: 'auto' },
  { model: 'llama-3.2-1b-shape', quant: 'Q2_K', type: GGMLType.Q2_K, shape: LLAMA_1B, matmul: 'mad' },
  { model: 'llama-3.2-1b-shape', quant: 'Q4_K', type: GGMLType.Q4_K, shape: LLAMA_1B, matmul: 'auto' },
  { model: 'bitnet-b1.58-2b-shape', quant: 'TQ2_0', type: GGMLType.TQ2_0, shape: BITNET_2B, matmul: 'auto' },
  { model: 'bitnet-b1.58-2b-shape', quant: 'TQ2_0', type: GGMLType.TQ2_0, shape: BITNET_2B, matmul: 'mad' },
  { model: 'bitnet-b1.58-2b-shape', quant: 'TQ1_0', type: GGMLType.TQ1_0, shape: BITNET_2B, matmul: 'auto' },
  { model: 'bitnet-b1.58-2b-shape', quant: 'TQ2_0', type: GGMLType.TQ2_0, shape: BITNET_2B, matmul: 'auto', ternaryTables: 'int8' },
];

/** Bytes one decode step reads: every linear weight as placed (repacked layout), the tied head once, not the embedding table. */
function bytesPerToken(c: Case, flavor: SimdFlavor, kinds: Set<string>): number {
  const s = c.shape, hd = s.nEmbd / s.nHead, kv = s.nHeadKv * hd;
  const mats: Array<[number, number]> = [[s.nEmbd, s.nEmbd], [s.nEmbd, kv], [s.nEmbd, kv], [s.nEmbd, s.nEmbd],
    [s.nEmbd, s.nFf], [s.nEmbd, s.nFf], [s.nFf, s.nEmbd]];
  const placed = (K: number, M: number) => {
    const kind = chooseKernel(c.type, K, M, flavor, c.matmul)!;
    kinds.add(kind);
    const t = { type: c.type, byteSize: tensorByteSize(c.type, K * M) } as GGUFTensorInfo;
    return kernelBytes(kind, t, K, M);
  };
  let b = 0;
  for (const [K, M] of mats) b += layers * placed(K, M);
  b += placed(s.nEmbd, s.nVocab); // the output head (tied: the embedding matrix)
  b += layers * 2 * s.nEmbd * 4 + s.nEmbd * 4; // norms
  return b;
}

async function probe(flavor: string) {
  const w = new Worker(new URL('../pool/probe.worker.ts', import.meta.url), { type: 'module' });
  const res = await new Promise<Record<string, unknown>>((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.postMessage({ flavor, reps: 5 });
  });
  w.terminate();
  if (res.error) throw new Error(String(res.error));
  return res as { bandwidthGBs: Record<number, number> };
}

// the placeholder vocabulary has no merges: every byte is a token. "▁" (3 bytes) + 124 letters + BOS = 128 tokens
const PROMPT = 'x'.repeat(124);

async function runCase(c: Case, flavor: SimdFlavor) {
  const spec: SyntheticLlamaSpec = { ...c.shape, nLayer: layers, contextLength: 512, type: c.type, seed: 7, vocab: true };
  const t0 = performance.now();
  const syn = syntheticLlama(spec);
  const blob = new Blob([syn.header as BlobPart, ...(syn.parts as BlobPart[])]);
  syn.parts.length = 0;
  const label = `${c.model} ×${layers} ${c.quant}${c.matmul === 'auto' ? '' : ` (forced ${c.matmul})`}${c.ternaryTables ? ` (${c.ternaryTables} tables)` : ''}`;
  log(`${label}: ${(blob.size / 1e6).toFixed(0)} MB made in ${(performance.now() - t0).toFixed(0)} ms`);
  const threads = [1, 2];
  const engines = threads.map(() => new WorkerEngine(startEngineWorker()));
  try {
    const rows = [];
    for (let i = 0; i < threads.length; i++) {
      const l0 = performance.now();
      const report = await engines[i].load({ blob }, { threads: threads[i], contextLength: 512, matmul: c.matmul, ternaryTables: c.ternaryTables });
      const loadMs = performance.now() - l0;
      if (report.threads !== threads[i]) throw new Error(`asked for ${threads[i]} threads, the engine runs ${report.threads} (${report.threadNote})`);
      await engines[i].generate('t1 t2 t3', { maxTokens: 4, temperature: 0, stopAtEos: false }); // warm up
      const kinds = new Set<string>();
      const wbpt = bytesPerToken(c, flavor, kinds);
      rows.push({ model: `${c.model} x${layers}`, quant: c.quant, threads: threads[i], flavor: `${flavor}/${[...kinds].join('+')}`,
        matmul: c.ternaryTables ? `${c.matmul}, ${c.ternaryTables} tables` : c.matmul, kernels: report.kernels, loadMs, pp: [] as number[], tg: [] as number[], promptTokens: 0,
        pp_tps: 0, tg_tps: 0, weight_bytes_per_token: wbpt, mem_gbps: 0, roofline_tps: 0, roofline_fraction: 0 });
    }
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < threads.length; i++) {
        const g = await engines[i].generate(PROMPT, { maxTokens: 64, temperature: 0, stopAtEos: false });
        rows[i].pp.push(g.prefillTokensPerSecond);
        rows[i].tg.push(g.decodeTokensPerSecond);
        rows[i].promptTokens = g.promptTokens;
      }
    }
    for (const row of rows) {
      row.pp_tps = median(row.pp);
      row.tg_tps = median(row.tg);
      log(`  ${row.threads} thread(s): prefill ${row.pp.map((x) => x.toFixed(1)).join(' ')} tok/s (${row.promptTokens} tokens), ` +
        `decode ${row.tg.map((x) => x.toFixed(1)).join(' ')} tok/s; load ${row.loadMs.toFixed(0)} ms; ${JSON.stringify(row.kernels)}`);
    }
    return rows;
  } finally {
    for (const e of engines) e.terminate();
  }
}

async function main() {
  const flavor = detectFlavor();
  log(`flavor ${flavor}, hardwareConcurrency ${navigator.hardwareConcurrency}, isolated ${crossOriginIsolated}, layers ${layers}, runs ${runs}`);
  const pr = await probe(flavor);
  log(`bandwidth 1 thread ${pr.bandwidthGBs[1].toFixed(1)} GB/s, 2 threads ${pr.bandwidthGBs[2].toFixed(1)} GB/s`);
  const rows: Array<Awaited<ReturnType<typeof runCase>>[number]> = [];
  for (const c of CASES) {
    if (only && !`${c.quant}-${c.matmul}${c.ternaryTables ? `-${c.ternaryTables}` : ''}`.includes(only)) continue;
    rows.push(...(await runCase(c, flavor)));
  }
  const pr2 = await probe(flavor);
  log(`again: bandwidth 1 thread ${pr2.bandwidthGBs[1].toFixed(1)} GB/s, 2 threads ${pr2.bandwidthGBs[2].toFixed(1)} GB/s`);
  const bw = { 1: Math.max(pr.bandwidthGBs[1], pr2.bandwidthGBs[1]), 2: Math.max(pr.bandwidthGBs[2], pr2.bandwidthGBs[2]) };
  for (const r of rows) {
    r.mem_gbps = bw[r.threads as 1 | 2];
    r.roofline_tps = (r.mem_gbps * 1e9) / r.weight_bytes_per_token;
    r.roofline_fraction = r.tg_tps / r.roofline_tps;
  }
  window.__e2eBench = { flavor, layers, runs, hardwareConcurrency: navigator.hardwareConcurrency, bandwidthBefore: pr.bandwidthGBs, bandwidthAfter: pr2.bandwidthGBs, rows };
}

main().catch((e) => { window.__e2eBenchError = String((e as Error).stack ?? e); log('ERROR ' + window.__e2eBenchError); });
