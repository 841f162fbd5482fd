/**
 * Straightforward reference sampler for the tests: float64 throughout, full
 * sorts, the stages written as plainly as llama.cpp describes them. Slow on
 * purpose; it only has to be obviously right.
 */
import { resolveSamplerOptions, type SamplerOptions } from '../../src/sampler/options.ts';

/** Final candidate probabilities (token id → probability) after all stages. */
export function referenceDistribution(
  logits: ArrayLike<number>,
  options: SamplerOptions,
  vocabSize: number,
  history: number[] = [],
): Map<number, number> {
  const o = resolveSamplerOptions(options, vocabSize);
  const l = new Float64Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) l[i] = logits[i];

  for (let i = 0; i < o.biasIds.length; i++) l[o.biasIds[i]] += o.biasValues[i];

  const window = o.penaltyLastN > 0 ? history.slice(-o.penaltyLastN) : [];
  const counts = new Map<number, number>();
  for (const t of window) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [t, c] of counts) {
    let v = l[t];
    v = v <= 0 ? v * o.repetitionPenalty : v / o.repetitionPenalty;
    l[t] = v - c * o.frequencyPenalty - (c > 0 ? o.presencePenalty : 0);
  }

  if (o.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < vocabSize; i++) if (l[i] > l[best]) best = i;
    return new Map([[best, 1]]);
  }

  const byLogit = (a: number, b: number) => (l[b] - l[a]) || (a - b);
  const softmax = (ids: number[], temp = 1): number[] => {
    let max = -Infinity;
    for (const i of ids) if (l[i] > max) max = l[i];
    const e = ids.map((i) => Math.exp((l[i] - max) / temp));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };

  let cands = Array.from({ length: vocabSize }, (_, i) => i).sort(byLogit);

  if (o.topK > 0 && o.topK < cands.length) cands = cands.slice(0, o.topK);

  if (o.typicalP < 1 && cands.length > 1) {
    const p = softmax(cands);
    let h = 0;
    for (const x of p) if (x > 0) h -= x * Math.log(x);
    const items = cands.map((id, i) => ({ id, p: p[i], score: Math.abs(-Math.log(p[i]) - h) }));
    items.sort((a, b) => (a.score - b.score) || (a.id - b.id));
    let cum = 0;
    let cut = items.length;
    for (let i = 0; i < items.length; i++) {
      cum += items[i].p;
      if (cum > o.typicalP) {
        cut = i + 1;
        break;
      }
    }
    cands = items.slice(0, cut).map((x) => x.id);
  }

  if (o.topP < 1 && cands.length > 1) {
    cands.sort(byLogit);
    const p = softmax(cands);
    let cum = 0;
    let cut = cands.length;
    for (let i = 0; i < cands.length; i++) {
      cum += p[i];
      if (cum >= o.topP) {
        cut = i + 1;
        break;
      }
    }
    cands = cands.slice(0, cut);
  }

  if (o.minP > 0 && cands.length > 1) {
    let max = -Infinity;
    for (const i of cands) if (l[i] > max) max = l[i];
    const threshold = max + Math.log(o.minP);
    cands = cands.filter((i) => l[i] >= threshold);
  }

  const p = softmax(cands, o.temperature);
  return new Map(cands.map((id, i) => [id, p[i]]));
}

/** Deterministic test randomness (not the sampler's PRNG): mulberry-style 32-bit generator. */
export function testRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Realistic-looking logits: Gaussian noise (sd `sd`) plus a few peaks well above it. */
export function gaussianLogits(vocabSize: number, seed: number, sd = 2, peaks = 8): Float32Array {
  const rand = testRng(seed);
  const out = new Float32Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  for (let j = 0; j < peaks; j++) out[Math.floor(rand() * vocabSize)] = 8 + 6 * rand();
  return out;
}
