import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { argmax } from '../../src/sampler/greedy.ts';
import type { SamplerOptions } from '../../src/sampler/options.ts';
import { Xoshiro128 } from '../../src/sampler/prng.ts';
import { Sampler } from '../../src/sampler/sampler.ts';
import { gaussianLogits, referenceDistribution, testRng } from './reference.ts';

const OFF: SamplerOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, typicalP: 1, seed: 1 };

function expectSameDistribution(
  logits: Float32Array,
  options: SamplerOptions,
  vocabSize: number,
  history: number[] = [],
  tol = 1e-9,
): void {
  const s = new Sampler(options, vocabSize);
  for (const t of history) s.accept(t);
  const got = s.distribution(logits);
  const want = referenceDistribution(logits, options, vocabSize, history);
  const gotIds = [...got.ids].sort((a, b) => a - b);
  const wantIds = [...want.keys()].sort((a, b) => a - b);
  expect(gotIds.length).toBe(wantIds.length);
  expect(gotIds).toEqual(wantIds);
  let sum = 0;
  for (let i = 0; i < got.ids.length; i++) {
    const p = got.probs[i];
    sum += p;
    const q = want.get(got.ids[i])!;
    if (Math.abs(p - q) > tol) expect.fail(`token ${got.ids[i]}: p = ${p}, reference ${q}`);
  }
  expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
}

const STAGES: [string, SamplerOptions][] = [
  ['temperature only', { ...OFF, temperature: 0.7 }],
  ['top-k 40', { ...OFF, topK: 40 }],
  ['top-k 3000', { ...OFF, topK: 3000 }],
  ['top-p 0.9 (no top-k)', { ...OFF, topP: 0.9 }],
  ['top-p 0.5 (no top-k)', { ...OFF, topP: 0.5 }],
  ['min-p 0.05', { ...OFF, minP: 0.05 }],
  ['min-p 0.001', { ...OFF, minP: 0.001 }],
  ['typical-p 0.9 (no top-k)', { ...OFF, typicalP: 0.9 }],
  ['typical-p 0.5 after top-k 40', { ...OFF, topK: 40, typicalP: 0.5 }],
  ['top-p 0.95 + min-p 0.05 (no top-k)', { ...OFF, topP: 0.95, minP: 0.05 }],
  ['top-p 0.99 + min-p 0.0001 (no top-k)', { ...OFF, topP: 0.99, minP: 0.0001 }],
  ['defaults', { seed: 1 }],
  ['everything', { topK: 100, typicalP: 0.95, topP: 0.9, minP: 0.02, temperature: 1.3, seed: 1 }],
  ['typical + top-p, no top-k', { ...OFF, typicalP: 0.8, topP: 0.7, temperature: 0.5 }],
];

describe('Sampler stages against the reference', () => {
  for (const vocab of [50, 32000, 152064]) {
    describe(`vocab ${vocab}`, () => {
      const logitSets: [string, Float32Array][] = [
        ['gaussian + peaks', gaussianLogits(vocab, vocab + 1)],
        ['flat (sd 0.3)', gaussianLogits(vocab, vocab + 2, 0.3, 0)],
        ['peaked (sd 4)', gaussianLogits(vocab, vocab + 3, 4, 3)],
        ['wide (sd 30)', gaussianLogits(vocab, vocab + 4, 30, 0)],
      ];
      for (const [what, logits] of logitSets) {
        for (const [name, options] of STAGES) {
          it(`${name} on ${what} logits`, () => expectSameDistribution(logits, options, vocab));
        }
      }
    });
  }

  it('fixed logits with ties (ties go to the lower id)', () => {
    const logits = Float32Array.from([1, 3, 3, 2, 2, 2, 0, -1, 3, 1]);
    for (const [, options] of STAGES) expectSameDistribution(logits, options, 10);
    for (const k of [1, 2, 3, 4, 5, 6]) {
      const d = new Sampler({ ...OFF, topK: k }, 10).distribution(logits);
      expect([...d.ids]).toEqual([1, 2, 8, 3, 4, 5].slice(0, k));
    }
    const d = new Sampler({ ...OFF, topP: 0.4 }, 10).distribution(logits); // each 3 has p ≈ 0.225
    expect([...d.ids]).toEqual([1, 2]);
  });

  it('-Infinity logits and padded logits arrays', () => {
    const logits = gaussianLogits(3000, 7);
    for (let i = 0; i < 3000; i += 3) logits[i] = -Infinity;
    const padded = new Float32Array(3100).fill(100);
    padded.set(logits);
    for (const [, options] of STAGES) {
      expectSameDistribution(logits, options, 3000);
      const s = new Sampler(options, 3000);
      for (let i = 0; i < 20; i++) expect(s.sample(padded)).toBeLessThan(3000);
    }
  });

  it('leaves the logits array bit-for-bit unchanged', () => {
    const logits = gaussianLogits(32000, 11);
    const before = logits.slice();
    const s = new Sampler({ repetitionPenalty: 1.3, frequencyPenalty: 0.5, presencePenalty: 0.2, logitBias: { 5: -Infinity, 6: 3 }, seed: 3 }, 32000);
    for (let i = 0; i < 50; i++) {
      const t = s.sample(logits);
      s.accept(t);
      s.accept(6);
    }
    s.distribution(logits);
    expect(logits).toEqual(before);
  });
});

describe('penalties', () => {
  it('repetition penalty divides positive and multiplies negative logits', () => {
    const logits = new Float32Array(8);
    logits[1] = 2;
    logits[2] = -1;
    const s = new Sampler({ ...OFF, repetitionPenalty: 2 }, 8);
    s.accept(1);
    s.accept(2);
    s.accept(2);
    const d = s.distribution(logits);
    const p = new Map([...d.ids].map((id, i) => [id, d.probs[i]]));
    expect(Math.log(p.get(1)! / p.get(0)!)).toBeCloseTo(1, 6); // 2 / 2
    expect(Math.log(p.get(2)! / p.get(0)!)).toBeCloseTo(-2, 6); // -1 * 2
  });

  it('frequency and presence penalties (OpenAI): l - count * freq - presence', () => {
    const logits = new Float32Array(8);
    const s = new Sampler({ ...OFF, frequencyPenalty: 0.5, presencePenalty: 0.25 }, 8);
    for (const t of [3, 3, 3, 4]) s.accept(t);
    const d = s.distribution(logits);
    const p = new Map([...d.ids].map((id, i) => [id, d.probs[i]]));
    expect(Math.log(p.get(3)! / p.get(0)!)).toBeCloseTo(-1.75, 6);
    expect(Math.log(p.get(4)! / p.get(0)!)).toBeCloseTo(-0.75, 6);
  });

  it('only the last penaltyLastN accepted tokens count', () => {
    const logits = new Float32Array(8);
    const s = new Sampler({ ...OFF, presencePenalty: 1, penaltyLastN: 3 }, 8);
    for (const t of [1, 2, 3, 4]) s.accept(t); // 1 has left the window
    const d = s.distribution(logits);
    const p = new Map([...d.ids].map((id, i) => [id, d.probs[i]]));
    expect(p.get(1)).toBeCloseTo(p.get(0)!, 12);
    for (const t of [2, 3, 4]) expect(Math.log(p.get(t)! / p.get(0)!)).toBeCloseTo(-1, 6);
    s.reset();
    const d2 = s.distribution(logits);
    for (const q of d2.probs) expect(q).toBeCloseTo(1 / 8, 12);
  });

  it('penaltyLastN 0 disables penalties', () => {
    const logits = gaussianLogits(50, 5);
    const s = new Sampler({ ...OFF, repetitionPenalty: 3, penaltyLastN: 0 }, 50);
    s.accept(argmax(logits));
    expect(new Sampler({ ...OFF, temperature: 0, repetitionPenalty: 3, penaltyLastN: 0 }, 50).sample(logits)).toBe(argmax(logits));
    expectSameDistribution(logits, { ...OFF, repetitionPenalty: 3, penaltyLastN: 0 }, 50, [argmax(logits)]);
  });

  it('matches the reference over random histories and windows', () => {
    const rand = testRng(99);
    for (const vocab of [50, 32000, 152064]) {
      const logits = gaussianLogits(vocab, vocab);
      const peak = argmax(logits);
      for (const n of [1, 16, 64]) {
        const history = Array.from({ length: 100 }, () => (rand() < 0.3 ? peak : Math.floor(rand() * Math.min(vocab, 60))));
        const options = { repetitionPenalty: 1.1 + rand(), frequencyPenalty: rand(), presencePenalty: rand() - 0.5, penaltyLastN: n, seed: 1 };
        // penalized logits are float32 in the sampler, float64 in the reference
        expectSameDistribution(logits, options, vocab, history, 1e-6);
        expectSameDistribution(logits, { ...OFF, ...options }, vocab, history, 1e-6);
      }
    }
  });
});

describe('logit bias', () => {
  it('biases and bans, as Record or Map', () => {
    const logits = gaussianLogits(32000, 21);
    const top = argmax(logits);
    const greedyRecord = new Sampler({ temperature: 0, logitBias: { [top]: -Infinity, 7: 100 } }, 32000);
    expect(greedyRecord.sample(logits)).toBe(7);
    const greedyMap = new Sampler({ temperature: 0, logitBias: new Map([[top, -Infinity]]) }, 32000);
    const copy = logits.slice();
    copy[top] = -Infinity;
    expect(greedyMap.sample(logits)).toBe(argmax(copy));
    expectSameDistribution(logits, { ...OFF, logitBias: { [top]: -Infinity, 7: 5, 9: -2 } }, 32000, [], 1e-6);
    expectSameDistribution(logits, { logitBias: new Map([[top, -Infinity], [7, 12]]), seed: 1 }, 32000, [], 1e-6);
  });

  it('a banned token is never sampled', () => {
    const logits = Float32Array.from([5, 1, 1, 1]);
    const s = new Sampler({ ...OFF, logitBias: { 0: -Infinity }, seed: 9 }, 4);
    for (let i = 0; i < 2000; i++) expect(s.sample(logits)).not.toBe(0);
  });

  it('throws when every token is banned', () => {
    const logits = Float32Array.from([1, 2]);
    for (const temperature of [0, 1]) {
      const s = new Sampler({ temperature, logitBias: { 0: -Infinity, 1: -Infinity } }, 2);
      expect(() => s.sample(logits)).toThrow(InvalidArgumentError);
      expect(logits).toEqual(Float32Array.from([1, 2])); // restored even on error
    }
  });
});

describe('greedy', () => {
  it('temperature <= 0 equals argmax (ties to the lowest id), whatever the other stages', () => {
    for (const vocab of [50, 32000, 152064]) {
      for (let seed = 0; seed < 3; seed++) {
        const logits = gaussianLogits(vocab, seed * 7 + vocab);
        for (const temperature of [0, -1]) {
          expect(new Sampler({ temperature }, vocab).sample(logits)).toBe(argmax(logits));
          expect(new Sampler({ temperature, topK: 5, topP: 0.1, minP: 0.5 }, vocab).sample(logits)).toBe(argmax(logits));
        }
      }
    }
    expect(new Sampler({ temperature: 0 }, 5).sample(Float32Array.from([0, 2, 1, 2, 2]))).toBe(1);
    expect(argmax([0, 2, 1, 2, 2])).toBe(1);
  });

  it('greedy applies penalties first', () => {
    const logits = Float32Array.from([0, 3, 2.5]);
    const s = new Sampler({ temperature: 0, repetitionPenalty: 2 }, 3);
    expect(s.sample(logits)).toBe(1);
    s.accept(1);
    expect(s.sample(logits)).toBe(2);
  });
});

describe('seeded sampling', () => {
  it('same seed and inputs give the same tokens; reset() restarts the stream', () => {
    const logits = gaussianLogits(32000, 1, 1.5, 40);
    const opts = { seed: 1234, temperature: 1.2, topK: 200, topP: 0.98, minP: 0, repetitionPenalty: 1.2 };
    const run = (s: Sampler) =>
      Array.from({ length: 300 }, () => {
        const t = s.sample(logits);
        s.accept(t);
        return t;
      });
    const a = new Sampler(opts, 32000);
    const first = run(a);
    expect(run(new Sampler(opts, 32000))).toEqual(first);
    a.reset();
    expect(run(a)).toEqual(first);
    expect(run(new Sampler({ ...opts, seed: 1235 }, 32000))).not.toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(10);
  });

  it('without a seed, a random one is drawn and reported', () => {
    const s = new Sampler({}, 10);
    expect(Number.isInteger(s.seed) && s.seed >= 0 && s.seed < 2 ** 32).toBe(true);
    const logits = gaussianLogits(10, 3, 1, 0);
    const drawn = Array.from({ length: 50 }, () => s.sample(logits));
    const replay = new Sampler({ seed: s.seed }, 10);
    expect(Array.from({ length: 50 }, () => replay.sample(logits))).toEqual(drawn);
  });

  it('xoshiro128** stream is fixed for a seed and looks uniform', () => {
    const a = new Xoshiro128(42);
    const b = new Xoshiro128(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    // reference xoshiro128** from state {1, 2, 3, 4}
    const v = Xoshiro128.fromState(1, 2, 3, 4);
    expect([v.nextUint32(), v.nextUint32(), v.nextUint32(), v.nextUint32()]).toEqual([11520, 0, 5927040, 70819200]);
    const r = new Xoshiro128(7);
    const bins = new Array(16).fill(0);
    const N = 160000;
    for (let i = 0; i < N; i++) {
      const u = r.nextDouble();
      expect(u >= 0 && u < 1).toBe(true);
      bins[Math.floor(u * 16)]++;
    }
    const chi2 = bins.reduce((s, c) => s + (c - N / 16) ** 2 / (N / 16), 0);
    expect(chi2).toBeLessThan(37.7); // df 15, p = 0.001
  });

  const chiSquare = (logits: Float32Array, options: SamplerOptions, draws: number) => {
    const vocab = logits.length;
    const want = referenceDistribution(logits, options, vocab);
    const s = new Sampler(options, vocab);
    const counts = new Map<number, number>();
    for (let i = 0; i < draws; i++) {
      const t = s.sample(logits);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const t of counts.keys()) expect(want.has(t)).toBe(true); // never outside the candidate set
    let chi2 = 0;
    for (const [t, p] of want) chi2 += ((counts.get(t) ?? 0) - draws * p) ** 2 / (draws * p);
    return { chi2, df: want.size - 1 };
  };

  it('empirical distribution matches the reference (chi-square, p = 0.001)', () => {
    const logits = Float32Array.from([2, 1.5, 1, 0.5, 0, -0.5, -1, -3]);
    // critical values of chi-square at p = 0.001
    const critical: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 7: 24.32 };
    for (const options of [
      { ...OFF, seed: 5 },
      { ...OFF, temperature: 0.6, seed: 6 },
      { ...OFF, topP: 0.8, seed: 7 },
      { ...OFF, topK: 4, temperature: 1.5, seed: 8 },
      { ...OFF, minP: 0.2, seed: 9 },
      { ...OFF, typicalP: 0.7, seed: 10 },
    ]) {
      const { chi2, df } = chiSquare(logits, options, 100000);
      expect(df).toBeGreaterThan(0);
      expect(chi2).toBeLessThan(critical[df]);
    }
  });
});

describe('options validation', () => {
  const bad: [string, SamplerOptions][] = [
    ['temperature NaN', { temperature: NaN }],
    ['temperature Infinity', { temperature: Infinity }],
    ['temperature string', { temperature: '1' as unknown as number }],
    ['topK negative', { topK: -1 }],
    ['topK fractional', { topK: 2.5 }],
    ['topP > 1', { topP: 1.1 }],
    ['topP negative', { topP: -0.1 }],
    ['minP > 1', { minP: 2 }],
    ['typicalP NaN', { typicalP: NaN }],
    ['repetitionPenalty 0', { repetitionPenalty: 0 }],
    ['repetitionPenalty negative', { repetitionPenalty: -1 }],
    ['frequencyPenalty Infinity', { frequencyPenalty: Infinity }],
    ['presencePenalty NaN', { presencePenalty: NaN }],
    ['penaltyLastN negative', { penaltyLastN: -1 }],
    ['penaltyLastN fractional', { penaltyLastN: 1.5 }],
    ['logitBias id out of range', { logitBias: { 100: 1 } }],
    ['logitBias negative id', { logitBias: new Map([[-1, 1]]) }],
    ['logitBias non-numeric id', { logitBias: { abc: 1 } as unknown as Record<number, number> }],
    ['logitBias +Infinity', { logitBias: { 3: Infinity } }],
    ['logitBias NaN', { logitBias: { 3: NaN } }],
    ['logitBias array', { logitBias: [1, 2] as unknown as Record<number, number> }],
    ['seed negative', { seed: -1 }],
    ['seed too large', { seed: 2 ** 32 }],
    ['seed fractional', { seed: 0.5 }],
  ];
  for (const [name, options] of bad) {
    it(`throws InvalidArgumentError: ${name}`, () => {
      expect(() => new Sampler(options, 100)).toThrow(InvalidArgumentError);
    });
  }

  it('rejects bad vocab sizes, tokens and logits', () => {
    expect(() => new Sampler({}, 0)).toThrow(InvalidArgumentError);
    expect(() => new Sampler({}, 1.5)).toThrow(InvalidArgumentError);
    const s = new Sampler({ repetitionPenalty: 1.1 }, 10);
    expect(() => s.accept(10)).toThrow(InvalidArgumentError);
    expect(() => s.accept(-1)).toThrow(InvalidArgumentError);
    expect(() => s.accept(1.5)).toThrow(InvalidArgumentError);
    expect(() => s.sample(new Float32Array(9))).toThrow(InvalidArgumentError);
    expect(() => s.sample([1, 2] as unknown as Float32Array)).toThrow(InvalidArgumentError);
  });

  it('accepts the edges and fills llama.cpp-like defaults', () => {
    const s = new Sampler({ topP: 0, minP: 1, typicalP: 0, topK: 10 ** 9, seed: 2 ** 32 - 1 }, 100);
    expect(s.sample(gaussianLogits(100, 1))).toBeGreaterThanOrEqual(0);
    const d = new Sampler({}, 100).options;
    expect([d.temperature, d.topK, d.topP, d.minP, d.typicalP, d.repetitionPenalty, d.penaltyLastN]).toEqual([0.8, 40, 0.95, 0.05, 1, 1, 64]);
  });
});
