// Quantize → dequantize round trips on random data for every type in src/quant,
// and dequantization of real llama.cpp-quantized tensors against the F16 original.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { GGMLType, ggmlTypeInfo, ggmlTypeName, tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { QUANT_CODECS, dequantize, quantize, quantizeI2SBody, i2sTrailer, f32ToF16Bits, f16BitsToNumber, f32ToBF16Bits, bf16BitsToNumber } from '../../src/quant/index.ts';
import { Gaussian } from '../../scripts/lib/random.ts';

/** sqrt(Σ(a−b)² / Σb²). */
function relRms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, s = 0;
  for (let i = 0; i < b.length; i++) { e += (a[i] - b[i]) ** 2; s += b[i] ** 2; }
  return Math.sqrt(e / s);
}

// Relative RMS error bounds for N(0, 1) data. Measured with these quantizers (seed 1234):
// F16 2.1e-4, BF16 1.7e-3, Q8_0 .0054, Q6_K .019, Q5_0 .043, Q5_1 .038, Q5_K .038, Q4_0 .086,
// Q4_1 .079, Q4_K .079, IQ4_NL .081, Q3_K .156, Q2_K .328.
const BOUND: Record<string, number> = {
  F32: 0, F16: 4e-4, BF16: 3e-3, Q8_0: 0.008, Q6_K: 0.025, Q5_0: 0.05, Q5_1: 0.045, Q5_K: 0.045,
  Q4_0: 0.1, Q4_1: 0.09, Q4_K: 0.09, IQ4_NL: 0.095, Q3_K: 0.19, Q2_K: 0.38,
};
const TERNARY = new Set(['TQ1_0', 'TQ2_0', 'I2_S']);

describe('f16 / bf16 conversions', () => {
  it('round to nearest even, with subnormals, overflow and NaN', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds up to inf
    expect(f32ToF16Bits(2 ** -24)).toBe(1);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // tie → even (0)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2); // tie → even (2)
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(Number.isNaN(f16BitsToNumber(f32ToF16Bits(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(f32ToF16Bits(f16BitsToNumber(h))).toBe(h);
    expect(f32ToBF16Bits(1)).toBe(0x3f80);
    expect(bf16BitsToNumber(f32ToBF16Bits(1 + 2 ** -8))).toBe(1); // tie → even
    expect(bf16BitsToNumber(f32ToBF16Bits(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
  });
});

describe('quantize → dequantize on random data', () => {
  const n = 256 * 48;
  const x = new Gaussian(1234).fill(n);
  for (const c of QUANT_CODECS.values()) {
    it(`${c.name}: byte size from the GGUF type table, error within bound`, () => {
      const q = quantize(c.type, x);
      expect(q.length).toBe(tensorByteSize(c.type, n));
      expect(ggmlTypeInfo(c.type)!.typeSize).toBe(c.typeSize);
      const y = dequantize(c.type, q, n);
      if (TERNARY.has(c.name)) {
        // values are 0 or ±d for one scale per block (TQ) or per tensor (I2_S)
        const blk = c.name === 'I2_S' ? n : 256;
        for (let b = 0; b < n / blk; b++) {
          const vals = new Set(Array.from(y.subarray(b * blk, (b + 1) * blk), Math.abs));
          expect(vals.size).toBeLessThanOrEqual(2);
        }
      } else {
        const err = relRms(y, x);
        expect(err, `${c.name} rel rms`).toBeLessThanOrEqual(BOUND[c.name]);
        if (c.name !== 'F32') expect(err).toBeGreaterThan(BOUND[c.name] / 10);
      }
    });
  }

  it('ternary types are exact on ternary weights (scale·{−1, 0, 1})', () => {
    const g = new Gaussian(7);
    const s = 0.0234375; // an f16 value
    const t = new Float32Array(n).map(() => s * (Math.floor(g.uniform() * 3) - 1));
    for (const type of [GGMLType.TQ1_0, GGMLType.TQ2_0, GGMLType.I2_S]) {
      const y = dequantize(type, quantize(type, t), n);
      expect(Array.from(y), ggmlTypeName(type)).toEqual(Array.from(t));
    }
  });

  it('I2_S written in pieces equals I2_S written at once', () => {
    const s = 0.5;
    const t = new Float32Array(1024).map((_, i) => s * ((i * 7) % 3 - 1));
    const whole = quantize(GGMLType.I2_S, t);
    const parts = [quantizeI2SBody(t.subarray(0, 384), s), quantizeI2SBody(t.subarray(384), s), i2sTrailer(s)];
    expect(Buffer.concat(parts)).toEqual(Buffer.from(whole));
  });

  it('a block of zeros stays zeros', () => {
    const z = new Float32Array(256);
    for (const c of QUANT_CODECS.values()) expect(Array.from(dequantize(c.type, quantize(c.type, z), 256)).every((v) => v === 0), c.name).toBe(true);
  });
});

describe('bit placement', () => {
  it('Q4_0: element j in the low nibble of qs[j], element j+16 in the high nibble', () => {
    const b = new Uint8Array(18);
    b[0] = 0x00; b[1] = 0x3c; // d = 1
    b[2 + 3] = 0x9f; // element 3: 15 − 8 = 7, element 19: 9 − 8 = 1
    const y = dequantize(GGMLType.Q4_0, b, 32);
    expect(y[3]).toBe(7);
    expect(y[19]).toBe(1);
    expect(y[0]).toBe(-8);
  });
  it('Q5_0: bit j of qh is the fifth bit of element j', () => {
    const b = new Uint8Array(22);
    b[1] = 0x3c; // d = 1
    b[2 + 2] = 0x01; // qh bit 16 → element 16
    b[2 + 0] = 0x02; // qh bit 1 → element 1
    const y = dequantize(GGMLType.Q5_0, b, 32);
    expect(y[16]).toBe(0);
    expect(y[1]).toBe(0);
    expect(y[0]).toBe(-16);
  });
  it('TQ2_0: qs[32 + m] bits 2n hold element 128 + 32n + m', () => {
    const b = new Uint8Array(66).fill(0x55); // all codes 1 → 0
    b[65] = 0x3c; b[64] = 0; // d = 1
    b[32 + 5] = 0x55 ^ (0b11 << 4); // n = 2 → code 2 → +1 at element 128 + 64 + 5
    const y = dequantize(GGMLType.TQ2_0, b, 256);
    expect(y[197]).toBe(1);
    expect(y.reduce((a, v) => a + Math.abs(v), 0)).toBe(1);
  });
  it('I2_S: byte 32g + p bits 6−2k hold element 128g + 32k + p; f32 scale after the codes', () => {
    const b = new Uint8Array(256 / 4 + 32).fill(0x55); // codes 1 → 0
    new DataView(b.buffer).setFloat32(64, 2, true);
    b[32 + 7] = 0x55 ^ 0b11000000; // k = 0 code 2 → element 128 + 7 = +2
    b[9] = 0x55 ^ 0b00000001; // k = 3 code 0 → element 96 + 9 = −2
    const y = dequantize(GGMLType.I2_S, b, 256);
    expect(y[135]).toBe(2);
    expect(y[105]).toBe(-2);
    expect(y.reduce((a, v) => a + Math.abs(v), 0)).toBe(4);
  });
});

describe('dequantizing llama.cpp-quantized tensors', () => {
  const models = path.join(testdata, 'models');
  async function tensors(file: string) {
    const bytes = new Uint8Array(await readFile(path.join(models, file)));
    const g = parseGGUF(bytes);
    const get = (name: string) => {
      const t = g.tensors.find((x) => x.name === name)!;
      return { t, y: dequantize(t.type, bytes.subarray(t.offset, t.offset + t.byteSize), t.nElements) };
    };
    return { g, get };
  }
  // relative RMS error of llama.cpp's quantization against the F16 original (llama.cpp quantizes
  // with an error-minimising search; these are loose upper bounds)
  it.each([
    ['derived/TinyStories-656K.Q4_0.gguf', 'TinyStories-656K.f16.gguf', 0.12],
    ['derived/TinyStories-656K.Q4_1.gguf', 'TinyStories-656K.f16.gguf', 0.1],
    ['derived/TinyStories-656K.Q5_0.gguf', 'TinyStories-656K.f16.gguf', 0.06],
    ['derived/TinyStories-656K.Q5_1.gguf', 'TinyStories-656K.f16.gguf', 0.05],
    ['derived/TinyStories-656K.IQ4_NL.gguf', 'TinyStories-656K.f16.gguf', 0.1],
    ['derived/TinyStories-656K.Q4_K_M.gguf', 'TinyStories-656K.f16.gguf', 0.06],
    ['tinystories-656k-q8_0.gguf', 'TinyStories-656K.f16.gguf', 0.01],
    ['derived/stories260K.Q4_0.gguf', 'stories260K.gguf', 0.12],
    ['derived/stories260K.Q8_0.gguf', 'stories260K.gguf', 0.01],
    ['derived/stories260K.F16.gguf', 'stories260K.gguf', 1e-3],
  ])('%s vs %s', async (qFile, refFile, bound) => {
    const q = await tensors(qFile), ref = await tensors(refFile);
    const seen = new Set<string>();
    for (const t of q.g.tensors) {
      const a = q.get(t.name).y, r = ref.get(t.name);
      expect(r.t.dims).toEqual(t.dims);
      const err = relRms(a, r.y);
      const tb = t.type === GGMLType.F32 ? 0 : t.type === GGMLType.Q8_0 ? 0.01 : t.type === GGMLType.F16 ? 1e-3 : bound;
      expect(err, `${t.name} (${ggmlTypeName(t.type)})`).toBeLessThanOrEqual(tb);
      // a wrong layout gives errors near or above 1; a right one is well above zero for lossy types
      if (t.type !== GGMLType.F32 && r.t.type === GGMLType.F32) expect(err).toBeGreaterThan(0);
      seen.add(ggmlTypeName(t.type));
    }
    expect(seen.size).toBeGreaterThan(0);
  });
});
