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
import { layout, mutate, rng } from './mutate.ts';
import { mergeSplitHeaders } from '../../src/loader/split.ts';

const CASES = Number(process.env.LUTRA_FUZZ_CASES ?? 5000);
const CASE_LIMIT_MS = 5_000;
const BUDGET = 64 << 20;

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
