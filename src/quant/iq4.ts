/**
 * IQ4_NL { f16 d; u8 qs[16]; }: 4-bit indices into ggml's fixed non-uniform
 * codebook `kvalues_iq4nl`; element j in the low nibble of qs[j], element j+16
 * in the high nibble; x = d · kvalues[q].
 *
 * Quantizer: d = (value of largest magnitude) / kvalues[0] (= −127), then each
 * element takes the nearest codebook entry. ggml additionally searches a few
 * scales around that one and keeps the best; we do not (fine for random weights).
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import { h16, putF16 } from './block.ts';
import { legacyCodec, stats } from './legacy.ts';
import { fr } from './types.ts';

/** ggml-common.h kvalues_iq4nl. */
export const IQ4_NL_VALUES: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

function nearest(v: number): number {
  let best = 0, bd = Infinity;
  for (let k = 0; k < 16; k++) {
    const e = Math.abs(IQ4_NL_VALUES[k] - v);
    if (e < bd) { bd = e; best = k; }
  }
  return best;
}

export const IQ4_NL = legacyCodec(GGMLType.IQ4_NL, 'IQ4_NL', 18, (x, o, b, bo) => {
  const { max } = stats(x, o, 32);
  const d = max / IQ4_NL_VALUES[0], id = d ? 1 / d : 0;
  putF16(b, bo, d);
  for (let j = 0; j < 16; j++) b[bo + 2 + j] = nearest(x[o + j] * id) | (nearest(x[o + j + 16] * id) << 4);
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)];
  for (let j = 0; j < 16; j++) {
    const q = b[bo + 2 + j];
    y[yo + j] = fr(d * IQ4_NL_VALUES[q & 15]);
    y[yo + j + 16] = fr(d * IQ4_NL_VALUES[q >> 4]);
  }
});
