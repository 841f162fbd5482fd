// Benchmark worker. role 'helper': thread 1, parks in lt_thr_worker until stopped.
// role 'driver': thread 0, runs every configuration and posts the results.
import { instantiateKernels } from '../../src/wasm/module.ts';
import { lutExports, Job, CTL_ARGS, TabMode, type LutExports } from '../../src/kernels/lut.ts';

const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
const log = (text: string) => post({ type: 'log', text });

const SHAPES: [number, number][] = [
  [4096, 4096], [11008, 4096], [4096, 11008], // Llama-2-7B (M × K)
  [2560, 2560], [6912, 2560], [2560, 6912],   // BitNet-b1.58-2B
];
const BITS: (number | 'ternary')[] = [1, 2, 3, 4, 'ternary'];
const TERN = 8, G = 128, AGS = 64, ABLK = 64, MB = 1 << 20;
const POOL = 160 * MB;
let REPS = 15; // cycle through ≥ 5× the 32 MiB L3 so every call reads weights from DRAM

self.onmessage = async (e: MessageEvent) => {
  const { role, module, memory } = e.data;
  const inst = await instantiateKernels(module, memory);
  const k = lutExports(inst.exports);
  const heap = ((inst.exports.__heap_base.value as number) + 4095) & ~4095;
  if (role === 'helper') {
    inst.setStack(e.data.stack, MB);
    k.lt_thr_worker(e.data.ctl, 1, 0);
    return;
  }
  try {
    inst.setStack(heap, MB);
    const ctl = heap + 2 * MB;
    k.lt_thr_init(ctl, 2, 20000);
    post({ type: 'ready', ctl, helperStack: heap + MB });
    const result = await drive(k, memory, ctl, heap + 2 * MB + 4096, e.data.flavor, e.data.quick);
    k.lt_thr_stop(ctl);
    post({ type: 'done', result });
  } catch (err) {
    post({ type: 'error', text: String((err as Error)?.stack ?? err) });
  }
};

function median(a: number[]) { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; }

async function drive(k: LutExports, memory: WebAssembly.Memory, ctl: number, base: number, flavor: string, quick: boolean) {
  let top = base;
  const alloc = (bytes: number) => {
    const p = (top + 4095) & ~4095;
    top = p + bytes;
    const need = top - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const u32 = () => new Uint32Array(memory.buffer);
  const f32 = () => new Float32Array(memory.buffer);
  const setArgs = (a: number[]) => {
    const v = u32(), f = f32(), o = (ctl + CTL_ARGS) >> 2;
    a.forEach((x, i) => { if (Number.isInteger(x)) v[o + i] = x >>> 0; else f[o + i] = x; });
  };
  const setThreads = (n: number) => k.lt_thr_set_threads(ctl, n);

  const pool = alloc(POOL + 48 * MB);
  k.lt_lut_bench_fill(pool, POOL + 48 * MB, 12345);
  const Kmax = 11008, NT = 8;
  const tabStride = (k.lt_lut_table_bytes(Kmax, AGS, TabMode.I8) + 63) & ~63;
  const tabs = alloc(tabStride * NT);
  const tabStrideTok = (k.lt_lut_table_bytes(Kmax, Kmax, TabMode.TOKEN) + 63) & ~63;
  const tabsTok = alloc(tabStrideTok * NT);
  const actStride = (k.lt_mad_act_bytes(Kmax, ABLK) + 63) & ~63;
  const acts = alloc(actStride * NT);
  const x = alloc(Kmax * 4 * NT);
  const y = alloc(Kmax * 4 * NT);
  { const f = f32(); for (let i = 0; i < Kmax * NT; i++) f[(x >> 2) + i] = Math.sin(i * 0.37) * 2; }

  // --- correctness spot check in this engine (Node cannot check relaxed MAD) ---
  const check = checkKernels(k, alloc, f32);
  log(`check ${JSON.stringify(check)}`);

  // --- warm-up: wasm code starts in the baseline tier and is optimized once hot, per
  // worker; run every kernel on both threads until the timings are steady ---
  {
    const Mw = 256, Kw = 512;
    for (let n = 0; n < NT; n++) {
      k.lt_lut_build(tabs + n * tabStride, x + n * Kw * 4, Kw, AGS, TabMode.I8);
      k.lt_lut_build(tabsTok + n * tabStrideTok, x + n * Kw * 4, Kw, Kw, TabMode.TOKEN);
      k.lt_mad_quant(acts + n * actStride, x + n * Kw * 4, Kw, ABLK);
    }
    const t0 = performance.now();
    for (let rep = 0; rep < 2; rep++) {
      for (const th of [2, 1]) {
        setThreads(th);
        for (let it = 0; it < 40; it++) {
          for (const b of [1, 2, 3, 4, TERN]) {
            for (const nt of [1, 8]) {
              setArgs([pool, b, Kw, b === TERN ? Kw : G, 0, 1.0, tabs, TabMode.I8, AGS, nt, tabStride, y, Mw]);
              k.lt_thr_run(ctl, Job.LUT_MM, 0, Mw, 32);
              if (b === TERN || b <= 2) {
                setArgs([pool, b, Kw, b === TERN ? Kw : G, 0, 1.0, tabsTok, TabMode.TOKEN, Kw, nt, tabStrideTok, y, Mw]);
                k.lt_thr_run(ctl, Job.LUT_MM, 0, Mw, 32);
              }
              setArgs([pool, b === TERN ? 2 : b, Kw, b === TERN ? Kw : G, 0, 1.0, acts, ABLK, nt, actStride, y, Mw]);
              k.lt_thr_run(ctl, Job.MAD_MM, 0, Mw, 16);
            }
          }
          setArgs([pool, 1 << 20]);
          k.lt_thr_run(ctl, Job.STREAM, 0, 0, 1);
        }
      }
    }
    log(`warm-up ${(performance.now() - t0).toFixed(0)} ms`);
  }

  // --- memory read bandwidth: strong streaming kernel over the pool, 1 and 2 threads ---
  const mem: Record<number, number> = {};
  const STREAM = 128 * MB;
  for (const th of [1, 2]) {
    setThreads(th);
    const s: number[] = [];
    for (let r = 0; r < (quick ? 3 : 15); r++) {
      setArgs([pool + (r % 2) * 32 * MB, STREAM]);
      const t0 = performance.now();
      k.lt_thr_run(ctl, Job.STREAM, 0, 0, 1);
      s.push(STREAM / ((performance.now() - t0) * 1e6));
    }
    mem[th] = median(s);
    log(`mem read ${th} thread(s): ${mem[th].toFixed(1)} GB/s (${s.map((v) => v.toFixed(1)).join(' ')})`);
  }

  // --- preprocessing cost per token (1 thread) ---
  const prep: Record<string, number> = {};
  for (const K of [2560, 4096, 6912, 11008]) {
    const t = (fn: () => void) => { const s: number[] = []; for (let i = 0; i < 21; i++) { const t0 = performance.now(); for (let j = 0; j < 10; j++) fn(); s.push((performance.now() - t0) / 10); } return median(s); };
    prep[`lut_build_i8_K${K}`] = t(() => k.lt_lut_build(tabs, x, K, AGS, TabMode.I8));
    prep[`lut_build_tok_K${K}`] = t(() => k.lt_lut_build(tabsTok, x, K, K, TabMode.TOKEN));
    prep[`mad_quant_K${K}`] = t(() => k.lt_mad_quant(acts, x, K, ABLK));
  }
  log(`prep ms ${JSON.stringify(prep)}`);

  const rows: unknown[] = [];
  if (quick) REPS = 5;
  const shapes = quick ? SHAPES.slice(0, 1) : SHAPES;
  for (const [M, K] of shapes) {
    for (let n = 0; n < NT; n++) {
      k.lt_lut_build(tabs + n * tabStride, x + n * K * 4, K, AGS, TabMode.I8);
      k.lt_lut_build(tabsTok + n * tabStrideTok, x + n * K * 4, K, K, TabMode.TOKEN);
      k.lt_mad_quant(acts + n * actStride, x + n * K * 4, K, ABLK);
    }
    for (const b of BITS) {
      const tern = b === 'ternary';
      const Gw = tern ? K : G; // ternary: one scale per tensor row block (BitNet)
      const variants: { kernel: string; mode?: string; bytes: number; call: (nt: number, w: number, th: number) => void }[] = [];
      const lb = tern ? TERN : (b as number);
      const lutBytes = k.lt_lut_weight_bytes(lb, M, K, Gw, 0);
      const madBits = tern ? 2 : (b as number), zero = tern ? 1 : 1 << (madBits - 1);
      const madBytes = k.lt_mad_weight_bytes(madBits, M, K, Gw, 0);
      variants.push({ kernel: 'lut', bytes: lutBytes, call: (nt, w) => {
        setArgs([w, lb, K, Gw, 0, zero + 0.0, tabs, TabMode.I8, AGS, nt, tabStride, y, M]);
        const rc = k.lt_thr_run(ctl, Job.LUT_MM, 0, M, 32); if (rc < 0) throw new Error(`lut rc ${rc}`);
      } });
      if (tern) variants.push({ kernel: 'lut', mode: 'token', bytes: lutBytes, call: (nt, w) => {
        setArgs([w, lb, K, Gw, 0, zero + 0.0, tabsTok, TabMode.TOKEN, K, nt, tabStrideTok, y, M]);
        const rc = k.lt_thr_run(ctl, Job.LUT_MM, 0, M, 32); if (rc < 0) throw new Error(`lut tok rc ${rc}`);
      } });
      variants.push({ kernel: 'mad', bytes: madBytes, call: (nt, w) => {
        setArgs([w, madBits, K, Gw, 0, zero + 0.0, acts, ABLK, nt, actStride, y, M]);
        const rc = k.lt_thr_run(ctl, Job.MAD_MM, 0, M, 16); if (rc < 0) throw new Error(`mad rc ${rc}`);
      } });
      // LUT and MAD samples are interleaved so both see the same background load
      for (const th of [1, 2]) {
        setThreads(th);
        for (const batch of [1, 8]) {
          const st = variants.map((v) => {
            const copies = Math.max(2, Math.ceil(POOL / v.bytes));
            if (copies * v.bytes > POOL + 48 * MB) throw new Error('pool too small');
            let i = 0;
            const one = () => v.call(batch, pool + (i++ % copies) * v.bytes, th);
            one(); one();
            const t0 = performance.now(); one(); const est = performance.now() - t0;
            return { v, one, inner: Math.max(1, Math.ceil(1.5 / Math.max(est, 0.01))), s: [] as number[] };
          });
          // the read bandwidth is sampled inside the same interleaving (64 MiB streamed per
          // sample), so a row's mem_gbps saw the same background load as its kernels
          const bw: number[] = [];
          for (let r = 0; r < REPS; r++) {
            for (const x of st) {
              const t1 = performance.now();
              for (let j = 0; j < x.inner; j++) x.one();
              x.s.push((performance.now() - t1) / x.inner);
            }
            setArgs([pool + (r % 2) * 64 * MB, 64 * MB]);
            const t2 = performance.now();
            k.lt_thr_run(ctl, Job.STREAM, 0, 0, 1);
            bw.push((64 * MB) / ((performance.now() - t2) * 1e6));
          }
          const memRow = median(bw), memBest = Math.max(...bw);
          for (const x of st) {
            const ms = median(x.s), best = Math.min(...x.s);
            rows.push({ kernel: x.v.kernel, flavor, bits: b, M, K, batch, threads: th, ms: +ms.toFixed(4),
              weight_gbps: +(x.v.bytes / (ms * 1e6)).toFixed(2), mem_gbps: +memRow.toFixed(2), ...(x.v.mode ? { mode: x.v.mode } : {}),
              // best-of-15 (least disturbed by other processes): Markdown only
              ms_best: +best.toFixed(4), weight_gbps_best: +(x.v.bytes / (best * 1e6)).toFixed(2), mem_gbps_best: +memBest.toFixed(2) });
          }
        }
      }
      log(`${M}x${K} bits=${b} done`);
    }
  }
  return { rows, mem, prep, check };
}

// LUT (int8 tables, ags 64) and MAD on small random weights vs a float64 reference.
function checkKernels(k: LutExports, alloc: (n: number) => number, f32: () => Float32Array) {
  const M = 64, K = 512, Gw = 128, out: Record<string, string> = {};
  const x = alloc(K * 4), y = alloc(M * 4), row = alloc(K * 4);
  const xs = new Float64Array(K);
  { const f = f32(); for (let i = 0; i < K; i++) { xs[i] = f[(x >> 2) + i] = Math.sin(i * 1.7) * Math.cos(i * 0.31) * 2; } }
  const tab = alloc(k.lt_lut_table_bytes(K, AGS, 0)), act = alloc(k.lt_mad_act_bytes(K, ABLK));
  k.lt_lut_build(tab, x, K, AGS, 0);
  k.lt_mad_quant(act, x, K, ABLK);
  for (const b of [1, 2, 3, 4, TERN]) {
    const codes = alloc(M * K), d = alloc(M * (K / Gw) * 4);
    const c = new Uint8Array((f32().buffer as ArrayBuffer), codes, M * K);
    for (let i = 0; i < M * K; i++) c[i] = Math.floor(Math.random() * (b === TERN ? 3 : 1 << b));
    { const f = f32(); for (let i = 0; i < M * (K / Gw); i++) f[(d >> 2) + i] = 0.01 + Math.random() * 0.01; }
    const zero = b === TERN ? 1 : 1 << (b - 1), mb = b === TERN ? 2 : b;
    for (const kind of ['lut', 'mad']) {
      const bb = kind === 'lut' ? b : mb;
      const W = alloc(kind === 'lut' ? k.lt_lut_weight_bytes(bb, M, K, Gw, 0) : k.lt_mad_weight_bytes(bb, M, K, Gw, 0));
      (kind === 'lut' ? k.lt_repack_lut : k.lt_repack_mad)(W, -1, codes, d, 0, zero, bb, M, K, Gw, 0, M);
      if (kind === 'lut') k.lt_lut_mm(W, bb, K, Gw, 0, zero, tab, 0, AGS, 1, 0, y, M, 0, M);
      else k.lt_mad_mm(W, bb, K, Gw, 0, zero, act, ABLK, 1, 0, y, M, 0, M);
      let e = 0, s = 0;
      for (let r = 0; r < M; r++) {
        (kind === 'lut' ? k.lt_lut_dequant_row : k.lt_mad_dequant_row)(W, bb, K, Gw, 0, zero, r, row);
        const f = f32();
        let ref = 0;
        for (let i = 0; i < K; i++) ref += f[(row >> 2) + i] * xs[i];
        e += (f[(y >> 2) + r] - ref) ** 2; s += ref * ref;
      }
      out[`${kind}_b${b === TERN ? 't' : b}`] = (e / s).toExponential(2);
    }
  }
  return out;
}
