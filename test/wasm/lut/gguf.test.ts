// Repacking GGUF blocks into the LUT and MAD layouts, checked against each type's own
// dequantization (written here in TypeScript from ggml's documented block layouts), then
// a matmul on the repacked weights against a float64 reference of the dequantized weights.
import { describe, it, expect, beforeAll } from 'vitest';
import { FLAVORS, Harness, gauss, refMatmul, nmse } from './harness.ts';
import { TabMode } from '../../../src/kernels/lut.ts';

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
const rd16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const fr = Math.fround;

type Deq = (b: Uint8Array, o: number, y: Float64Array, yo: number) => void;
interface TypeSpec { id: number; name: string; blk: number; bytes: number; halfs: number[]; deq: Deq }

const TYPES: TypeSpec[] = [
  { id: 2, name: 'Q4_0', blk: 32, bytes: 18, halfs: [0], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o));
    for (let i = 0; i < 16; i++) { y[yo + i] = fr(d * ((b[o + 2 + i] & 15) - 8)); y[yo + i + 16] = fr(d * ((b[o + 2 + i] >> 4) - 8)); }
  } },
  { id: 3, name: 'Q4_1', blk: 32, bytes: 20, halfs: [0, 2], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o)), m = f16(rd16(b, o + 2));
    for (let i = 0; i < 16; i++) { y[yo + i] = fr(fr(d * (b[o + 4 + i] & 15)) + m); y[yo + i + 16] = fr(fr(d * (b[o + 4 + i] >> 4)) + m); }
  } },
  { id: 10, name: 'Q2_K', blk: 256, bytes: 84, halfs: [80, 82], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o + 80)), dmin = f16(rd16(b, o + 82));
    let is = 0, e = yo;
    for (let h = 0; h < 2; h++) {
      const q = o + 16 + 32 * h;
      for (let j = 0; j < 4; j++) {
        for (const off of [0, 16]) {
          const sc = b[o + is++], dl = fr(d * (sc & 15)), ml = fr(dmin * (sc >> 4));
          for (let l = 0; l < 16; l++) y[e++] = fr(fr(dl * ((b[q + off + l] >> (2 * j)) & 3)) - ml);
        }
      }
    }
  } },
  { id: 11, name: 'Q3_K', blk: 256, bytes: 110, halfs: [108], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o + 108));
    // 16 6-bit scales from 12 bytes, as 32-bit words
    const w = (i: number) => (b[o + 96 + 4 * i] | (b[o + 97 + 4 * i] << 8) | (b[o + 98 + 4 * i] << 16) | (b[o + 99 + 4 * i] << 24)) >>> 0;
    const a0 = w(0), a1 = w(1), t = w(2), k1 = 0x03030303, k2 = 0x0f0f0f0f;
    const aux = [(a0 & k2) | (((t >>> 0) & k1) << 4), (a1 & k2) | (((t >>> 2) & k1) << 4),
      ((a0 >>> 4) & k2) | (((t >>> 4) & k1) << 4), ((a1 >>> 4) & k2) | (((t >>> 6) & k1) << 4)];
    const sc = (i: number) => ((aux[i >> 2] >>> (8 * (i & 3))) & 0xff) - 32;
    let is = 0, e = yo, m = 1;
    for (let h = 0; h < 2; h++) {
      const q = o + 32 + 32 * h;
      for (let j = 0; j < 4; j++) {
        for (const off of [0, 16]) {
          const dl = fr(d * sc(is++));
          for (let l = 0; l < 16; l++) y[e++] = fr(dl * (((b[q + off + l] >> (2 * j)) & 3) - (b[o + off + l] & m ? 0 : 4)));
        }
        m <<= 1;
      }
    }
  } },
  { id: 12, name: 'Q4_K', blk: 256, bytes: 144, halfs: [0, 2], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o)), dmin = f16(rd16(b, o + 2)), s = o + 4;
    const sm = (j: number): [number, number] => j < 4 ? [b[s + j] & 63, b[s + j + 4] & 63]
      : [(b[s + j + 4] & 15) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
    let e = yo;
    for (let j = 0; j < 4; j++) {
      const [s1, m1] = sm(2 * j), [s2, m2] = sm(2 * j + 1), q = o + 16 + 32 * j;
      const d1 = fr(d * s1), n1 = fr(dmin * m1), d2 = fr(d * s2), n2 = fr(dmin * m2);
      for (let l = 0; l < 32; l++) y[e++] = fr(fr(d1 * (b[q + l] & 15)) - n1);
      for (let l = 0; l < 32; l++) y[e++] = fr(fr(d2 * (b[q + l] >> 4)) - n2);
    }
  } },
  { id: 34, name: 'TQ1_0', blk: 256, bytes: 54, halfs: [52], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o + 52)), p3 = [1, 3, 9, 27, 81, 243];
    let e = yo;
    const trit = (byte: number, n: number) => ((((byte * p3[n]) & 255) * 3) >> 8) - 1;
    for (let n = 0; n < 5; n++) for (let m = 0; m < 32; m++) y[e++] = fr(d * trit(b[o + m], n));
    for (let n = 0; n < 5; n++) for (let m = 0; m < 16; m++) y[e++] = fr(d * trit(b[o + 32 + m], n));
    for (let n = 0; n < 4; n++) for (let j = 0; j < 4; j++) y[e++] = fr(d * trit(b[o + 48 + j], n));
  } },
  { id: 35, name: 'TQ2_0', blk: 256, bytes: 66, halfs: [64], deq: (b, o, y, yo) => {
    const d = f16(rd16(b, o + 64));
    let e = yo;
    for (let j = 0; j < 64; j += 32) for (let l = 0; l < 4; l++) for (let m = 0; m < 32; m++) y[e++] = fr(d * (((b[o + j + m] >> (2 * l)) & 3) - 1));
  } },
];

function randomBlocks(t: TypeSpec, M: number, K: number): Uint8Array {
  const nb = (M * K) / t.blk, b = new Uint8Array(nb * t.bytes);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
  if (t.name === 'TQ2_0') // ternary: 2-bit fields hold 0..2 only (3 is not a valid code)
    for (let i = 0; i < b.length; i++) {
      let v = 0;
      for (let f = 0; f < 4; f++) v |= Math.floor(Math.random() * 3) << (2 * f);
      b[i] = v;
    }
  for (let i = 0; i < nb; i++)
    for (const h of t.halfs) {
      // a normal positive f16 in [2^-8, 2^-4): a realistic scale, never NaN/Inf
      const v = ((7 + Math.floor(Math.random() * 4)) << 10) | Math.floor(Math.random() * 1024);
      b[i * t.bytes + h] = v & 255; b[i * t.bytes + h + 1] = v >> 8;
    }
  return b;
}

const MAD_OK: Record<string, boolean> = { simd128: true, relaxed: true };

for (const flavor of FLAVORS) {
  describe(`GGUF repack (${flavor})`, () => {
    let h: Harness;
    beforeAll(async () => { h = await Harness.create(flavor); });
    for (const t of TYPES) {
      it(`${t.name}: repacked rows equal ggml dequantization; matmul vs float64`, () => {
        h.reset();
        const M = 64, K = 512;
        const blocks = randomBlocks(t, M, K);
        const w = new Float64Array(M * K);
        for (let r = 0; r < M; r++)
          for (let i = 0; i < K / t.blk; i++) t.deq(blocks, (r * (K / t.blk) + i) * t.bytes, w, r * K + i * t.blk);
        const info = h.alloc(32);
        expect(h.k.lt_repack_info(t.id, info)).toBe(1);
        // lutAsym: the LUT layout's asym argument (2 = two-level K-quant layout, Q2_K)
        const [bits, G, madAsym, zero, lutAsym] = new Int32Array(h.buf, info, 5);
        const src = h.putU8(blocks);
        const row = h.alloc(4 * K);
        let maxw = 0;
        for (const v of w) maxw = Math.max(maxw, Math.abs(v));
        for (const kind of ['lut', 'mad'] as const) {
          const asym = kind === 'lut' ? lutAsym : madAsym;
          const kb = kind === 'mad' && bits === 8 ? 2 : bits;
          const bytes = kind === 'lut' ? h.k.lt_lut_weight_bytes(kb, M, K, G, asym) : h.k.lt_mad_weight_bytes(kb, M, K, G, asym);
          const W = h.alloc(bytes);
          const fn = kind === 'lut' ? h.k.lt_repack_lut : h.k.lt_repack_mad;
          // two row slices, as two threads would
          expect(fn(W, t.id, src, 0, 0, 0, 0, M, K, 0, 0, 32)).toBe(0);
          expect(fn(W, t.id, src, 0, 0, 0, 0, M, K, 0, 32, M)).toBe(0);
          for (let r = 0; r < M; r++) {
            (kind === 'lut' ? h.k.lt_lut_dequant_row : h.k.lt_mad_dequant_row)(W, kb, K, G, asym, zero, r, row);
            const got = h.f32(row, K);
            for (let k = 0; k < K; k++) {
              const err = Math.abs(got[k] - w[r * K + k]);
              // the LUT layout stores m' = m + d(2^b−1)/2: one extra f32 rounding for asym types
              if (err > 4e-7 * maxw) expect({ kind, r, k, got: got[k], want: w[r * K + k] }).toBe(null);
            }
          }
          const x = gauss(K), ref = refMatmul(w, M, K, [x])[0];
          const y = h.alloc(4 * M);
          if (kind === 'lut') {
            // the two-level layout has no exact f32-table path (its sub-blocks combine in integers)
            // int8 tables: NMSE over these 64 outputs is 1e-5 to 4e-5 typically, but with only 64
            // rows its tail is long: over 80 draws per type the largest were 4e-5 (Q2_K, Q4_K,
            // Q4_1), 7.5e-5 (Q4_0), 9–10e-5 (Q3_K, TQ1_0, TQ2_0), and Q3_K once reached 1.04e-4
            const i8Bound = 3e-4;
            const modes = asym === 2 ? [[TabMode.I8, i8Bound]] as const : [[TabMode.F32, 1e-6], [TabMode.I8, i8Bound]] as const;
            for (const [mode, bound] of modes) {
              const tab = h.alloc(h.k.lt_lut_table_bytes(K, 64, mode));
              h.k.lt_lut_build(tab, h.putF32(x), K, 64, mode);
              expect(h.k.lt_lut_mm(W, kb, K, G, asym, zero, tab, mode, 64, 1, 0, y, M, 0, M)).toBe(0);
              expect(nmse(h.f32(y, M), ref)).toBeLessThan(bound);
            }
            if (asym === 2) expect(h.k.lt_lut_mm(W, kb, K, G, asym, zero, y, TabMode.F32, 64, 1, 0, y, M, 0, M)).toBe(-5);
            // mpGEMM: 3 tokens in one call, each against its own float64 reference
            const xs = [gauss(K), gauss(K), gauss(K)], refs = refMatmul(w, M, K, xs);
            const tstride = (h.k.lt_lut_table_bytes(K, 64, TabMode.I8) + 63) & ~63;
            const tabs = h.alloc(3 * tstride), ys = h.alloc(3 * 4 * M);
            xs.forEach((xi, n) => h.k.lt_lut_build(tabs + n * tstride, h.putF32(xi), K, 64, TabMode.I8));
            expect(h.k.lt_lut_mm(W, kb, K, G, asym, zero, tabs, TabMode.I8, 64, 3, tstride, ys, M, 0, M)).toBe(0);
            refs.forEach((r, n) => expect(nmse(h.f32(ys + 4 * M * n, M), r)).toBeLessThan(i8Bound));
          } else if (MAD_OK[flavor]) {
            const act = h.alloc(h.k.lt_mad_act_bytes(K, 32));
            h.k.lt_mad_quant(act, h.putF32(x), K, 32);
            expect(h.k.lt_mad_mm(W, kb, K, G, asym, zero, act, 32, 1, 0, y, M, 0, M)).toBe(0);
            expect(nmse(h.f32(y, M), ref)).toBeLessThan(5e-4);
          }
        }
      });
    }
    it('GGUF shapes: K not a multiple of the block size is refused', () => {
      h.reset();
      const src = h.alloc(1 << 16), dst = h.alloc(1 << 20);
      expect(h.k.lt_repack_lut(dst, 12, src, 0, 0, 0, 0, 32, 128, 0, 0, 32)).toBe(-3); // Q4_K needs K % 256
      expect(h.k.lt_repack_lut(dst, 14, src, 0, 0, 0, 0, 32, 256, 0, 0, 32)).toBe(-2); // Q6_K: not supported here
    });
  });
}
