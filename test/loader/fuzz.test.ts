/**
 * Hostile files: thousands of mutated GGUF files through the whole load path
 * (header → tokenizer → config → memory plan → tensor placement in wasm
 * memory), half of them through the forward-only streaming source. Every case
 * must end in a LutraError subclass or a working model, within a time limit,
 * and the process's memory must stay bounded.
 *
 * Mutations: truncation anywhere, random bit flips (biased to the header),
 * huge counts and lengths (n_tensors, n_kv, string lengths, array counts),
 * tensor dims and offsets out of range or with overflowing products, tensor
 * types out of range, and hyperparameters set to 0, 1, huge or odd values.
 */
import { describe, expect, it } from 'vitest';
import { LutraError } from '../../src/errors.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { readGGUF, byteSourceFromBuffer, type ByteSource } from '../../src/gguf/reader.ts';
import { loadLlamaModel, planLlamaModel } from '../../src/model/llama.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { compileKernels, createSharedMemory, instantiateKernels } from '../../src/wasm/module.ts';
import { ConcatSource, ForwardSource } from '../../src/loader/stream-source.ts';
import { splitGGUF, synthLlama } from './synth.ts';
import { mergeSplitHeaders } from '../../src/loader/split.ts';

const CASES = Number(process.env.LUTRA_FUZZ_CASES ?? 5000);
const CASE_LIMIT_MS = 5_000;
const BUDGET = 64 << 20;

/** xorshift32 */
function rng(seed: number) {
  let s = seed | 1;
  const next = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)] };
}

interface Layout {
  countsAt: number[]; // n_tensors, n_kv
  kvValues: Array<{ key: string; type: number; at: number }>;
  lengths: number[]; // positions of u64 string lengths and array counts
  dims: number[]; // positions of u64 dims
  types: number[]; // positions of u32 tensor types
  offsets: number[]; // positions of u64 data offsets
  headerEnd: number;
}

/** Where the fields of a (valid) GGUF header are, to aim mutations at them. */
function layout(b: Uint8Array): Layout {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const L: Layout = { countsAt: [8, 16], kvValues: [], lengths: [], dims: [], types: [], offsets: [], headerEnd: 0 };
  const nT = Number(dv.getBigUint64(8, true)), nKv = Number(dv.getBigUint64(16, true));
  let p = 24;
  const size = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];
  const str = () => { L.lengths.push(p); const n = Number(dv.getBigUint64(p, true)); p += 8; const s = new TextDecoder().decode(b.subarray(p, p + n)); p += n; return s; };
  const skip = (type: number): void => {
    if (type === 8) { str(); return; }
    if (type === 9) {
      const et = dv.getUint32(p, true);
      L.lengths.push(p + 4);
      const n = Number(dv.getBigUint64(p + 4, true));
      p += 12;
      if (size[et] > 0) p += size[et] * n;
      else for (let i = 0; i < n; i++) skip(et);
      return;
    }
    p += size[type];
  };
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = dv.getUint32(p, true);
    p += 4;
    L.kvValues.push({ key, type, at: p });
    skip(type);
  }
  for (let i = 0; i < nT; i++) {
    str();
    const nd = dv.getUint32(p, true);
    p += 4;
    for (let d = 0; d < nd; d++) { L.dims.push(p); p += 8; }
    L.types.push(p); p += 4;
    L.offsets.push(p); p += 8;
  }
  L.headerEnd = p;
  return L;
}

const HUGE64 = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 53n - 1n, 2n ** 32n, 2n ** 32n + 7n, 2n ** 31n, 0xffffffffn, 1n << 40n, 65536n, 0n, 1n, 3n];
const HUGE32 = [0, 1, 2, 3, 0x7fffffff, 0xffffffff, 0x80000000, 65536, 4096, 1 << 20, 17, 31, 33];

function mutate(src: Uint8Array, L: Layout, r: ReturnType<typeof rng>): { bytes: Uint8Array; kind: string } {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const kind = r.pick(['truncate', 'flip', 'flip', 'count', 'length', 'dim', 'dims-overflow', 'offset', 'type', 'hparam', 'hparam', 'multi']);
  const one = (k: string): void => {
    switch (k) {
      case 'flip': {
        const n = 1 + r.int(8);
        for (let i = 0; i < n; i++) {
          const at = r.next() < 0.8 ? r.int(L.headerEnd) : r.int(b.length);
          b[at] ^= 1 << r.int(8);
        }
        return;
      }
      case 'count': dv.setBigUint64(r.pick(L.countsAt), r.pick(HUGE64), true); return;
      case 'length': dv.setBigUint64(r.pick(L.lengths), r.pick(HUGE64), true); return;
      case 'dim': dv.setBigUint64(r.pick(L.dims), r.pick(HUGE64), true); return;
      case 'dims-overflow': {
        const i = r.int(L.dims.length - 1);
        dv.setBigUint64(L.dims[i], 1n << BigInt(20 + r.int(20)), true);
        dv.setBigUint64(L.dims[i + 1], 1n << BigInt(20 + r.int(20)), true);
        return;
      }
      case 'offset': dv.setBigUint64(r.pick(L.offsets), r.next() < 0.5 ? r.pick(HUGE64) : BigInt(r.int(b.length) & ~31), true); return;
      case 'type': dv.setUint32(r.pick(L.types), r.pick([...HUGE32, GGMLType.Q4_0, GGMLType.F16, GGMLType.Q8_0, 40, 41]), true); return;
      case 'hparam': {
        const kv = r.pick(L.kvValues.filter((v) => [2, 4, 5, 6, 9].includes(v.type)));
        if (kv.type === 2) dv.setUint16(kv.at, r.pick(HUGE32) & 0xffff, true);
        else if (kv.type === 4 || kv.type === 5) dv.setUint32(kv.at, r.pick(HUGE32), true);
        else if (kv.type === 6) dv.setFloat32(kv.at, r.pick([0, -1, NaN, Infinity, 1e30, 1e-30]), true);
        else dv.setBigUint64(kv.at + 4, r.pick(HUGE64), true);
        return;
      }
    }
  };
  if (kind === 'truncate') return { bytes: b.subarray(0, r.int(b.length)), kind };
  if (kind === 'multi') {
    for (let i = 0; i < 3; i++) one(r.pick(['flip', 'count', 'length', 'dim', 'offset', 'type', 'hparam']));
    if (r.next() < 0.3) return { bytes: b.subarray(0, r.int(b.length)), kind };
    return { bytes: b, kind };
  }
  one(kind);
  return { bytes: b, kind };
}

function streamed(bytes: Uint8Array, chunk: number): ByteSource {
  let at = 0;
  return new ForwardSource(bytes.length, async () => (at >= bytes.length ? null : bytes.subarray(at, (at += chunk))));
}

describe('hostile GGUF files', () => {
  it(`${CASES} mutated files each give a typed error or a working model, none hangs, memory stays bounded`, async () => {
    const module = await compileKernels('simd128');
    const seeds = [
      synthLlama({ nEmbd: 32, nLayer: 2, nFf: 64, nHead: 4, nHeadKv: 2, ctx: 64, type: GGMLType.F32 }),
      synthLlama({ nEmbd: 32, nLayer: 1, nFf: 64, nHead: 2, nHeadKv: 1, ctx: 64, type: GGMLType.Q8_0, seed: 7 }),
      synthLlama({ nEmbd: 32, nLayer: 1, nFf: 96, nHead: 4, nHeadKv: 4, ctx: 32, type: GGMLType.F16, seed: 9 }),
    ];
    const layouts = seeds.map(layout);
    const r = rng(0x5eed);
    const outcomes = new Map<string, number>();
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    let slowest = 0;
    const started = performance.now();

    for (let i = 0; i < CASES; i++) {
      const s = r.int(seeds.length);
      const { bytes, kind } = mutate(seeds[s], layouts[s], r);
      const viaStream = i % 2 === 1;
      if (process.env.LUTRA_FUZZ_TRACE) process.stderr.write(`case ${i} ${kind} seed ${s} ${viaStream} len ${bytes.length}\n`);
      const t0 = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const run = (async () => {
        const source = viaStream ? streamed(bytes, 1 + r.int(4096)) : byteSourceFromBuffer(bytes);
        const gguf = await readGGUF(source, { initialBytes: 64 + r.int(4096) });
        createTokenizer(gguf);
        const plan = planLlamaModel(gguf, { memoryBudget: BUDGET });
        const kernels = await instantiateKernels(module, createSharedMemory(Math.max(16 << 20, plan.memory.total), BUDGET + (32 << 20)));
        const model = await loadLlamaModel(gguf, source, { kernels, memoryBudget: BUDGET });
        model.forward(0, 0);
        model.dispose();
      })();
      const result = await Promise.race([
        run.then(() => 'ok', (e: unknown) => e),
        new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), CASE_LIMIT_MS); }),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      if (result === 'timeout') throw new Error(`case ${i} (${kind}, seed ${s}) did not finish in ${CASE_LIMIT_MS} ms`);
      if (result !== 'ok' && !(result instanceof LutraError)) {
        throw new Error(`case ${i} (${kind}, seed ${s}, ${viaStream ? 'stream' : 'buffer'}) threw a non-LutraError: ${String(result)}\n${(result as Error)?.stack}`);
      }
      const name = result === 'ok' ? 'ok' : (result as LutraError).name;
      outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
      if (i % 100 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz: ${CASES} cases in ${seconds.toFixed(1)} s, slowest ${slowest.toFixed(0)} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
      `RSS ${(rss0 / 2 ** 20).toFixed(0)} → max ${(rssMax / 2 ** 20).toFixed(0)} MiB`);
    expect(outcomes.get('GGUFFormatError') ?? 0).toBeGreaterThan(CASES / 10);
    expect(rssMax - rss0).toBeLessThan(1024 * 2 ** 20);
  });

  it('mutated split parts give typed errors or a working model', async () => {
    const base = synthLlama({ nEmbd: 32, nLayer: 2, nFf: 64, nHead: 4, nHeadKv: 2, ctx: 64, type: GGMLType.F32 });
    const parts = splitGGUF(base, 3);
    const r = rng(42);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const k = r.int(3);
      const m = mutate(parts[k], layout(parts[k]), r).bytes;
      const files = parts.map((p, j) => (j === k ? m : p));
      const result = await (async () => {
        const sources = files.map((f) => streamed(f, 1 + r.int(8192)));
        const hs = await Promise.all(sources.map((s) => readGGUF(s)));
        const gguf = mergeSplitHeaders(r.next() < 0.1 ? [hs[0], hs[2]] : hs);
        const model = await loadLlamaModel(gguf, new ConcatSource(sources), { memoryBudget: BUDGET, flavor: 'simd128' });
        model.forward(0, 0);
      })().then(() => 'ok', (e: unknown) => e);
      if (result !== 'ok' && !(result instanceof LutraError)) throw new Error(`split case ${i}: ${String(result)}`);
      const name = result === 'ok' ? 'ok' : (result as LutraError).name;
      outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
    }
    console.log(`split fuzz: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(outcomes.get('GGUFFormatError') ?? 0).toBeGreaterThan(50);
  });
});
