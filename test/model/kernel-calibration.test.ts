// LUT vs multiply-add timed at load for the 4-bit types (src/model/kernel-calibration.ts): both
// kernels run on a sample weight of the type and row length, the faster one is taken and shown;
// a forced `matmul` skips the timing; the plan reserves room for either choice.
import { describe, expect, it } from 'vitest';
import { byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { calibrateKernel, isCalibrated } from '../../src/model/kernel-calibration.ts';
import { kernelBytes, lutBytes, madBytes, plannedBytes } from '../../src/model/kernel-choice.ts';
import type { GGUFTensorInfo } from '../../src/gguf/types.ts';
import { FLAVORS } from '../wasm/harness.ts';
import { synthFiles } from './synth-files.ts';

const synth = synthFiles('lutra-calib-');
const NARROW = ['--layers', '2', '--embd', '256', '--ff', '512'];

describe.each(FLAVORS)('kernel calibration (%s)', (flavor) => {
  it.each([[GGMLType.Q4_0, 2048], [GGMLType.Q4_1, 256], [GGMLType.Q4_K, 1024]])('type %i, K %i: both kernels timed, the faster taken, cached', async (type, K) => {
    const c = await calibrateKernel(flavor, type, K);
    expect(c.type).toBe(type);
    expect(c.K).toBe(K);
    expect(c.lutMs).toBeGreaterThan(0);
    expect(c.madMs).toBeGreaterThan(0);
    expect(c.kind).toBe(c.lutMs <= c.madMs ? 'lut' : 'mad');
    expect(await calibrateKernel(flavor, type, K)).toBe(c);
  });

  it('a Q4_0 model takes the timed kernel for every 4-bit weight; a forced matmul is not timed', async () => {
    const { bytes, gguf } = await synth(['llama-3.2-1b', '--type', 'Q4_0', ...NARROW]);
    const model = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { flavor, contextLength: 32 });
    try {
      expect(model.kernelCalibration.length).toBeGreaterThan(0);
      const byK = new Map(model.kernelCalibration.map((c) => [`${c.type}:${c.K}`, c.kind]));
      let checked = 0;
      for (const t of gguf.tensors) {
        if (!isCalibrated(t.type, t.dims[0], t.dims[1] ?? 1)) continue;
        expect(model.kernelChoice[t.name], t.name).toBe(byK.get(`${t.type}:${t.dims[0]}`));
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
    const forced = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { flavor, contextLength: 32, matmul: 'lut' });
    expect(forced.kernelCalibration).toEqual([]);
    forced.dispose();
  });
});

it('the memory plan reserves the larger of the two layouts for a timed type', () => {
  for (const [type, K, M] of [[GGMLType.Q4_0, 2048, 8192], [GGMLType.Q4_K, 8192, 2048]]) {
    const t = { type, byteSize: 0, dims: [K, M] } as unknown as GGUFTensorInfo;
    expect(plannedBytes(t, K, M)).toBe(Math.max(lutBytes(type, M, K), madBytes(type, M, K)));
    expect(plannedBytes(t, K, M)).toBeGreaterThanOrEqual(kernelBytes('lut', t, K, M));
    expect(plannedBytes(t, K, M)).toBeGreaterThanOrEqual(kernelBytes('mad', t, K, M));
  }
});
