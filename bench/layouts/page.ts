/**
 * One thread, mpGEMV per weight layout, in the page (bench/layouts/run.ts drives it): the layouts
 * and table modes this session's kernels changed, side by side in one run — Q2_K's two-level
 * layout against the f32-scale layout it replaced (same 2-bit codes, d and m′ as f32 per 16
 * weights), plain 2-bit, 4-bit, and ternary with exact (mode 2) and int8 (mode 3) tables.
 * Weights are random bytes (the kernels' speed does not depend on the values), several copies
 * of > 100 MB in all so every call reads from DRAM; every case runs once per round, 3 rounds of
 * 15 calls, the median of the round medians is kept. Results land in window.__layouts.
 */
import { scratchKernels } from '../../src/wasm/module.ts';
import { lutExports } from '../../src/kernels/lut.ts';
import type { SimdFlavor } from '../../src/wasm/flavor.ts';
import { median, pageLog } from '../lib/page.ts';

declare global { interface Window { __layouts?: unknown; __layoutsError?: string } }

interface Case { layout: string; bits: number; G: number; asym: number; mode: number }
const CASES: Case[] = [
  { layout: 'Q2_K, f32 scales per 16 (old)', bits: 2, G: 16, asym: 1, mode: 0 },
  { layout: 'Q2_K, two-level', bits: 2, G: 16, asym: 2, mode: 0 },
  { layout: '2-bit, G 128', bits: 2, G: 128, asym: 0, mode: 0 },
  { layout: '4-bit, G 32', bits: 4, G: 32, asym: 0, mode: 0 },
  { layout: 'ternary G 256, exact tables', bits: 8, G: 256, asym: 0, mode: 2 },
  { layout: 'ternary G 256, int8 tables', bits: 8, G: 256, asym: 0, mode: 3 },
];
const SHAPES: Array<[number, number]> = [[2048, 2048], [8192, 2048], [2048, 8192], [6912, 2560], [2560, 6912]];
const ROUNDS = 3, REPS = 15, AGS = 64, POOL = 120e6;
const log = pageLog();

async function runFlavor(flavor: SimdFlavor) {
  const inst = await scratchKernels(flavor, 256 << 20);
  const { alloc, memory: mem } = inst;
  const k = lutExports(inst.exports);
  const times = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [M, K] of SHAPES) {
      for (const c of CASES) {
        inst.reset();
        const wb = k.lt_lut_weight_bytes(c.bits, M, K, c.G, c.asym);
        if (!wb) continue;
        const W: number[] = [];
        for (let n = 0; n < Math.ceil(POOL / wb); n++) {
          const p = alloc(wb);
          const u = new Uint8Array(mem.buffer, p, wb);
          if (n === 0) for (let i = 0; i < wb; i++) u[i] = (Math.random() * 64) | 0; // small bytes: f32 scales stay normal
          else u.set(new Uint8Array(mem.buffer, W[0], wb));
          W.push(p);
        }
        const x = alloc(K * 4), tab = alloc(k.lt_lut_table_bytes(K, AGS, c.mode)), y = alloc(M * 4);
        const xs = new Float32Array(mem.buffer, x, K);
        for (let i = 0; i < K; i++) xs[i] = Math.random() - 0.5;
        k.lt_lut_build(tab, x, K, AGS, c.mode);
        const t: number[] = [];
        for (let r = 0; r < REPS; r++) {
          const t0 = performance.now();
          for (const w of W) if (k.lt_lut_mm(w, c.bits, K, c.G, c.asym, 0, tab, c.mode, AGS, 1, 0, y, M, 0, M) !== 0) throw new Error(`${c.layout}: lt_lut_mm failed`);
          t.push((performance.now() - t0) / W.length);
        }
        const key = `${c.layout}|${M}|${K}|${wb}`;
        times.set(key, [...(times.get(key) ?? []), median(t)]);
      }
    }
    log(`${flavor}: round ${round + 1} of ${ROUNDS} done`);
  }
  return [...times].map(([key, ms]) => {
    const [layout, M, K, wb] = key.split('|');
    const m = median(ms), w = Number(M) * Number(K);
    return { flavor, layout, M: Number(M), K: Number(K), ms: m, rounds: ms, bytes_per_weight: Number(wb) / w, ps_per_weight: (m * 1e9) / w, gbps: Number(wb) / m / 1e6 };
  });
}

(async () => {
  try {
    const rows = [...(await runFlavor('relaxed')), ...(await runFlavor('simd128'))];
    window.__layouts = { rows };
  } catch (e) {
    window.__layoutsError = String((e as Error).stack ?? e);
  }
})();
