import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { byteSourceFromBuffer, parseGGUF, readGGUF, type ByteSource } from '../../src/gguf/reader.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { OutOfMemoryError } from '../../src/errors.ts';
import { llamaConfigFromGGUF } from '../../src/model/config.ts';
import { loadLlamaModel, planLlamaModel } from '../../src/model/llama.ts';
import {
  llamaRuntimeBytes, maxContextThatFits, MODULE_BASE_BYTES, PLACED_SIZE, placedTensorBytes, planLlamaMemory, TENSOR_ALIGN, threadScratchBytes,
  THREAD_STACK_BYTES, WASM32_MAX_BYTES,
} from '../../src/loader/plan.ts';
import { synthHeader, synthLlama } from './synth.ts';

const stories = new Uint8Array(readFileSync(path.join(testdata, 'models', 'stories260K.gguf')));
const gguf = parseGGUF(stories);

describe('memory planner', () => {
  it('adds weights (aligned, as placed), KV cache, activations, scratch, module base and stacks', () => {
    const plan = planLlamaModel(gguf, { contextLength: 256 }).memory;
    const weights = gguf.tensors.reduce((s, t) => s + Math.ceil(t.byteSize / TENSOR_ALIGN) * TENSOR_ALIGN, 0);
    expect(plan.weights).toBe(weights);
    // 5 layers × 256 positions × 4 KV heads × 8 dims × 4 bytes × (K and V)
    expect(plan.kvCache).toBe(2 * 5 * 256 * 32 * 4);
    expect(plan.total).toBe(plan.moduleBase + plan.weights + plan.kvCache + plan.activations + plan.scratch + plan.stacks);
    expect(plan.moduleBase).toBe(MODULE_BASE_BYTES);
    expect(plan.stacks).toBe(0);
    expect(plan.budget).toBe(WASM32_MAX_BYTES);
    expect(plan.contextLength).toBe(256);
  });

  it('is linear in the context and counts one stack per extra thread', () => {
    const c = llamaConfigFromGGUF(gguf, { contextLength: 512 });
    const a = llamaRuntimeBytes(c, 512), b = llamaRuntimeBytes(c, 1024), z = llamaRuntimeBytes(c, 0);
    expect(b.kvCache).toBe(2 * a.kvCache);
    expect(b.activations - a.activations).toBe(a.activations - z.activations);
    const p4 = planLlamaMemory(c, gguf.tensors, { threads: 4 });
    expect(p4.stacks).toBe(3 * (THREAD_STACK_BYTES + threadScratchBytes(c)));
  });

  it('sizes each tensor through a per-type function (the hook a repacked layout uses)', () => {
    const t = gguf.tensors[0];
    expect(placedTensorBytes(t)).toBe(Math.ceil(t.byteSize / 64) * 64);
    const saved = PLACED_SIZE[GGMLType.F32];
    try {
      PLACED_SIZE[GGMLType.F32] = (x) => 2 * x.byteSize;
      expect(placedTensorBytes(t)).toBe(Math.ceil((2 * t.byteSize) / 64) * 64);
    } finally {
      PLACED_SIZE[GGMLType.F32] = saved;
    }
  });

  it('refuses a context that does not fit the budget, names needed and available, and the longest context that fits', () => {
    const full = planLlamaModel(gguf, { contextLength: 2048 }).memory;
    const budget = full.total - 1;
    let err: unknown;
    try {
      planLlamaModel(gguf, { contextLength: 2048, memoryBudget: budget });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    const oom = err as OutOfMemoryError;
    expect(oom.needed).toBe(full.total);
    expect(oom.available).toBe(budget);
    expect(oom.message).toMatch(/needs .* but .* is available \(the memoryBudget you set\)/);
    expect(oom.message).toContain(`contextLength: ${oom.maxContextLength}`);
    const max = oom.maxContextLength!;
    expect(max).toBeGreaterThan(1000);
    expect(max).toBeLessThan(2048);
    expect(max % 16).toBe(0);
    expect(planLlamaModel(gguf, { contextLength: max, memoryBudget: budget }).memory.total).toBeLessThanOrEqual(budget);
    expect(() => planLlamaModel(gguf, { contextLength: max + 16, memoryBudget: budget })).toThrow(OutOfMemoryError);
    const c = llamaConfigFromGGUF(gguf, { contextLength: 2048 });
    expect(maxContextThatFits(c, { ...full, budget })).toBe(max);
  });

  it('when not even the weights fit, says how many bits per weight would', () => {
    const small = planLlamaModel(gguf, { contextLength: 16 }).memory;
    const budget = small.total - small.weights / 2;
    const err = (() => { try { planLlamaModel(gguf, { contextLength: 16, memoryBudget: budget }); } catch (e) { return e; } })() as OutOfMemoryError;
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err.maxContextLength).toBeUndefined();
    expect(err.bitsPerWeight).toBeGreaterThan(8);
    expect(err.bitsPerWeight).toBeLessThan(32);
    expect(err.message).toMatch(/weights alone \(F32, .*\) do not fit: a quantization of at most ~[\d.]+ bits per weight/);
  });

  it('refuses a 7B-shaped F16 model against the 4 GiB of wasm32 from its header alone', async () => {
    // header of a 7B llama (F16), the data never materialized: reads past the header return zeros
    const file = synthHeader({ nEmbd: 4096, nLayer: 32, nFf: 11008, nHead: 32, type: GGMLType.F16 });
    const reads: Array<[number, number]> = [];
    const src: ByteSource = {
      size: file.size,
      async read(o, n) {
        reads.push([o, n]);
        const out = new Uint8Array(n);
        if (o < file.header.length) out.set(file.header.subarray(o, Math.min(file.header.length, o + n)));
        return out;
      },
    };
    const g = await readGGUF(src, { initialBytes: 64 << 10 });
    const err = await loadLlamaModel(g, src).catch((e: unknown) => e) as OutOfMemoryError;
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err.message).toContain('the 4 GiB a wasm32 module can address');
    expect(err.message).toMatch(/bits per weight/);
    expect(err.needed).toBeGreaterThan(12 * 2 ** 30);
    // nothing past the header was read
    expect(Math.max(...reads.map(([o, n]) => o + n))).toBeLessThanOrEqual(g.dataOffset + (1 << 20));
  });

  it('a 7B-shaped Q2_K model fits the 4 GiB of wasm32: Q2_K is placed at 0.34 bytes per weight', async () => {
    const file = synthHeader({ nEmbd: 4096, nLayer: 32, nFf: 11008, nHead: 32, type: GGMLType.Q2_K });
    const src: ByteSource = { size: file.size, read: async (o, n) => { const out = new Uint8Array(n); out.set(file.header.subarray(o, o + n)); return out; } };
    const g = await readGGUF(src, { initialBytes: 64 << 10 });
    // (the f32 KV cache takes 1 GiB at 1024 tokens: 2048 would not fit beside the weights)
    const plan = planLlamaModel(g, { contextLength: 1024 }).memory;
    // 32 layers × 202M linear weights in the two-level LUT layout (2816 bytes per 32 × 256)
    const linear = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008) * (2816 / 8192);
    expect(plan.weights).toBeGreaterThan(linear);
    expect(plan.weights).toBeLessThan(linear * 1.15); // + embeddings and output head
    expect(plan.total).toBeLessThan(4 * 2 ** 30);
  });

  it('a memoryBudget also stops loadLlamaModel before any tensor data is read', async () => {
    const bytes = synthLlama({ nEmbd: 64, nLayer: 2, nFf: 128, nHead: 4, nHeadKv: 4, ctx: 256, type: GGMLType.F32 });
    const g = parseGGUF(bytes);
    let tensorReads = 0;
    const base = byteSourceFromBuffer(bytes);
    const src: ByteSource = { size: base.size, read: (o, n) => { if (o >= g.dataOffset) tensorReads++; return base.read(o, n); } };
    await expect(loadLlamaModel(g, src, { memoryBudget: 1 << 20 })).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(tensorReads).toBe(0);
    const ok = await loadLlamaModel(g, src, { contextLength: 256 });
    expect(ok.memoryBytes).toBeGreaterThanOrEqual(planLlamaModel(g, { contextLength: 256 }).memory.total);
    expect(tensorReads).toBeGreaterThan(0);
  });
});

