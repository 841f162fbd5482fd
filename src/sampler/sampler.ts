/**
 * The token sampler: logits in, one token id out.
 *
 * Stages, in llama.cpp's default order (common/sampling):
 *
 *   logit bias → penalties → top-k → typical-p → top-p → min-p → temperature → draw
 *
 * `temperature <= 0` is greedy: argmax after logit bias and penalties (the
 * truncation stages never remove the most likely token, except typical-p,
 * which greedy skips).
 *
 * No copy of the vocabulary. `sample()` reads the logits array it is given
 * (in the engine, a Float32Array view into wasm memory). Bias and penalties
 * touch at most `|logitBias| + penaltyLastN` tokens: their adjusted values are
 * written into the array for the duration of the call and the original values
 * restored before it returns, so the array is bit-for-bit unchanged after.
 * Candidates are token ids in preallocated Int32Array scratch (allocated once,
 * lazily, per sampler); nothing vocabulary-sized is allocated per token.
 *
 * Cost per token, V = vocabulary size, N = penaltyLastN, B = |logitBias|:
 *  - bias + penalties: O(B + N).
 *  - greedy: one pass over V.
 *  - top-k: one pass over V against the floor of a bounded min-heap of the k
 *    best; a heap insert (O(log k)) happens only when a logit beats the current
 *    k-th best, about k·ln(V/k) times for logits in random order; then
 *    O(k log k) to order the k. Every later stage then works on k tokens.
 *  - top-p over the whole vocabulary (no top-k): three passes (max; exp,
 *    normalizer and a probability-mass histogram by distance from the max, in
 *    1/32-logit buckets; gather) and a sort of only the gathered tokens: those
 *    down to the bucket where the mass reaches p (plus one bucket of margin)
 *    and, since min-p comes next, none under the min-p threshold.
 *    O(V + m log m), m = gathered; m is the size of the answer plus a bucket.
 *  - typical-p, or top-p after typical-p, over n unsorted candidates: the same
 *    idea with a 1024-bucket histogram over the sort key when n > 1024;
 *    otherwise a sort of the n. Over an already sorted list (after top-k)
 *    top-p is a single O(k) walk.
 *  - min-p: O(n) threshold on the logits (no sort).
 *  - temperature + draw: O(n) exps over the surviving candidates.
 * No stage ever sorts the whole vocabulary (unless the answer itself is the
 * whole vocabulary, e.g. top-p 0.999999 on flat logits).
 * Exponentials go through expNeg() (table + polynomial, ~2x Math.exp).
 * Measured in bench/results/sampler.md.
 *
 * Ties are broken by the lower token id everywhere (llama.cpp leaves them to
 * std::partial_sort). Logits must not be NaN; -Infinity is allowed (a banned
 * token), but if every token is -Infinity, sample() throws.
 */
import { InvalidArgumentError } from '../errors.ts';
import { resolveSamplerOptions, type ResolvedSamplerOptions, type SamplerOptions } from './options.ts';
import { Xoshiro128, randomSeed } from './prng.ts';

/** Lists this short are sorted outright; longer ones go through the histogram first. */
const SORT_DIRECTLY = 1024;
/** Buckets of the probability-mass histogram. */
const BUCKETS = 1024;

/**
 * exp(−d) for d ≥ 0 without a Math.exp call per token: d = b/32 + f with
 * f ∈ [0, 1/32), exp(−b/32) from a table and exp(−f) from its degree-6
 * Taylor polynomial (relative error < 1e-14). Over 64 it falls back to Math.exp.
 * About 2x faster than Math.exp in V8, and the table index b doubles as the
 * bucket of the top-p mass histogram.
 */
const EXP_STEPS = 32;
const EXP_RANGE = 64;
const EXP_BUCKETS = EXP_RANGE * EXP_STEPS;
const EXP_TABLE = new Float64Array(EXP_BUCKETS + 1);
for (let b = 0; b <= EXP_BUCKETS; b++) EXP_TABLE[b] = Math.exp(-b / EXP_STEPS);

function expNeg(d: number): number {
  if (d < EXP_RANGE) {
    const s = d * EXP_STEPS;
    const b = s | 0;
    const r = (b - s) / EXP_STEPS;
    return EXP_TABLE[b] * (1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r / 720))))));
  }
  return Math.exp(-d);
}

/** The final candidate set and its probabilities (after temperature), for inspection and logprobs. */
export interface SamplerDistribution {
  /** Token ids, in the order the sampler keeps them (by descending probability when a sorting stage ran). */
  ids: Int32Array;
  /** Probability of `ids[i]`; sums to 1. */
  probs: Float64Array;
}

export class Sampler {
  readonly vocabSize: number;
  readonly options: Readonly<ResolvedSamplerOptions>;

  private readonly rng: Xoshiro128;
  private readonly fixedSeed: number | undefined;
  private currentSeed: number;

  // penalties: ring buffer of the last N accepted tokens and their counts
  private readonly penaltiesOn: boolean;
  private readonly history: Int32Array;
  private historyLen = 0;
  private historyPos = 0;
  private counts: Int32Array | undefined;
  private stamp: Uint32Array | undefined;
  private stampGen = 0;

  // original logits of the tokens bias/penalties touched, restored after each call
  private readonly savedIds: Int32Array;
  private readonly savedValues: Float32Array;
  private nSaved = 0;

  // candidate scratch (lazily allocated, vocabulary-sized, once)
  private cand: Int32Array | undefined;
  private nCand = 0;
  /** The candidates are all of 0..vocabSize−1 in order; cand[] is not filled (saves a pass). */
  private identity = false;
  /** cand[0..nCand) is ordered by descending logit (ties: lower id first). */
  private sorted = false;
  private w: Float64Array | undefined;
  private keys: Float64Array | undefined;
  private tKey: Float64Array | undefined;
  private tId: Int32Array | undefined;
  private tW: Float64Array | undefined;
  private readonly hist = new Float64Array(BUCKETS + 1);
  private expHist: Float64Array | undefined;
  private readonly heapVal: Float32Array;
  private readonly heapId: Int32Array;

  constructor(options: SamplerOptions, vocabSize: number) {
    this.options = Object.freeze(resolveSamplerOptions(options, vocabSize));
    this.vocabSize = vocabSize;
    const o = this.options;

    this.fixedSeed = o.seed;
    this.currentSeed = o.seed ?? randomSeed();
    this.rng = new Xoshiro128(this.currentSeed);

    this.penaltiesOn =
      o.penaltyLastN > 0 && (o.repetitionPenalty !== 1 || o.frequencyPenalty !== 0 || o.presencePenalty !== 0);
    this.history = new Int32Array(this.penaltiesOn ? o.penaltyLastN : 0);
    this.savedIds = new Int32Array(o.biasIds.length + this.history.length);
    this.savedValues = new Float32Array(this.savedIds.length);

    const k = o.topK > 0 && o.topK < vocabSize ? o.topK : 0;
    this.heapVal = new Float32Array(k);
    this.heapId = new Int32Array(k);
  }

  /** The seed in use: the one given, or the random one drawn at construction / the last reset(). */
  get seed(): number {
    return this.currentSeed;
  }

  /**
   * Samples the next token from `logits` (length ≥ vocabSize; entries past
   * vocabSize, e.g. padding, are ignored). Does not record the token: call
   * accept() with the token actually used (the engine may also accept the
   * prompt tokens, so the penalties see them, as llama.cpp does).
   */
  sample(logits: Float32Array): number {
    return this.withAdjusted(logits, () => {
      if (this.options.temperature <= 0) return this.greedy(logits);
      this.truncate(logits);
      return this.draw(logits);
    });
  }

  /**
   * The candidates and probabilities sample() would draw from for these logits
   * and the current history, without drawing (the PRNG does not advance).
   * Greedy gives the argmax with probability 1. Allocates its result.
   */
  distribution(logits: Float32Array): SamplerDistribution {
    return this.withAdjusted(logits, () => {
      if (this.options.temperature <= 0) return { ids: Int32Array.of(this.greedy(logits)), probs: Float64Array.of(1) };
      this.truncate(logits);
      const sum = this.weigh(logits);
      const n = this.nCand;
      const ids = this.cand!.slice(0, n);
      const probs = new Float64Array(n);
      for (let i = 0; i < n; i++) probs[i] = this.w![i] / sum;
      return { ids, probs };
    });
  }

  /** Checks `logits`, applies bias and penalties in place, runs `f`, then puts the changed logits back. */
  private withAdjusted<T>(logits: Float32Array, f: () => T): T {
    this.checkLogits(logits);
    this.adjust(logits);
    try {
      return f();
    } finally {
      this.restore(logits);
    }
  }

  /** The argmax of the adjusted logits; throws when every token is banned. */
  private greedy(logits: Float32Array): number {
    const t = argmaxF32(logits, this.vocabSize);
    if (!(logits[t] > -Infinity)) throw allBanned();
    return t;
  }

  /** Records `token` as generated (or as prompt), for the penalty window. */
  accept(token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new InvalidArgumentError(`Token id ${String(token)} is not an integer in [0, ${this.vocabSize})`);
    }
    if (!this.penaltiesOn) return;
    const counts = (this.counts ??= new Int32Array(this.vocabSize));
    const cap = this.history.length;
    if (this.historyLen === cap) counts[this.history[this.historyPos]]--;
    else this.historyLen++;
    this.history[this.historyPos] = token;
    counts[token]++;
    this.historyPos = this.historyPos + 1 === cap ? 0 : this.historyPos + 1;
  }

  /** Forgets the accepted tokens and restarts the PRNG: from the given seed, or from a fresh random one. */
  reset(): void {
    if (this.counts) {
      for (let i = 0; i < this.historyLen; i++) this.counts[this.history[i]] = 0;
    }
    this.historyLen = 0;
    this.historyPos = 0;
    this.currentSeed = this.fixedSeed ?? randomSeed();
    this.rng.seed(this.currentSeed);
  }

  // ---------------------------------------------------------------- bias, penalties

  private checkLogits(logits: Float32Array): void {
    if (!(logits instanceof Float32Array) || logits.length < this.vocabSize) {
      throw new InvalidArgumentError(
        `logits must be a Float32Array of at least vocabSize = ${this.vocabSize} entries, got ${
          logits instanceof Float32Array ? logits.length : typeof logits
        }`,
      );
    }
  }

  private save(logits: Float32Array, id: number): void {
    this.savedIds[this.nSaved] = id;
    this.savedValues[this.nSaved] = logits[id];
    this.nSaved++;
  }

  /** Writes bias and penalties into `logits`, remembering the originals. */
  private adjust(logits: Float32Array): void {
    this.nSaved = 0;
    const o = this.options;
    const ids = o.biasIds;
    for (let i = 0; i < ids.length; i++) {
      this.save(logits, ids[i]);
      logits[ids[i]] += o.biasValues[i];
    }
    if (!this.penaltiesOn || this.historyLen === 0) return;
    const counts = this.counts!;
    const stamp = (this.stamp ??= new Uint32Array(this.vocabSize));
    if (++this.stampGen === 0x100000000) {
      stamp.fill(0);
      this.stampGen = 1;
    }
    const gen = this.stampGen;
    const rep = o.repetitionPenalty;
    const freq = o.frequencyPenalty;
    const pres = o.presencePenalty;
    for (let i = 0; i < this.historyLen; i++) {
      const t = this.history[i];
      if (stamp[t] === gen) continue;
      stamp[t] = gen;
      this.save(logits, t);
      let l = logits[t];
      l = l <= 0 ? l * rep : l / rep;
      logits[t] = l - counts[t] * freq - pres;
    }
  }

  /** Puts back the original logits, newest save first (a token can be saved twice: bias, then penalty). */
  private restore(logits: Float32Array): void {
    for (let i = this.nSaved - 1; i >= 0; i--) logits[this.savedIds[i]] = this.savedValues[i];
    this.nSaved = 0;
  }

  // ---------------------------------------------------------------- truncation

  /** Runs top-k, typical-p, top-p and min-p; leaves the survivors in cand[0..nCand). */
  private truncate(logits: Float32Array): void {
    const o = this.options;
    const V = this.vocabSize;
    const cand = (this.cand ??= new Int32Array(V));
    let n: number;
    if (this.heapVal.length > 0) {
      heapSelect(logits, V, this.heapVal, this.heapId);
      heapDrain(this.heapVal, this.heapId, cand);
      n = this.heapVal.length;
      this.sorted = true;
      this.identity = false;
    } else {
      n = V;
      this.sorted = false;
      this.identity = true;
    }
    if (o.typicalP < 1 && n > 1) {
      this.materialize();
      n = this.typical(logits, n);
      this.sorted = false;
    }
    if (o.topP < 1 && n > 1) {
      n = this.identity ? this.topPAll(logits) : this.topP(logits, n);
      this.sorted = true;
      this.identity = false;
    }
    if (o.minP > 0 && n > 1) n = this.minP(logits, n);
    this.nCand = n;
  }

  // The methods below only orchestrate; every loop over the candidates is a
  // module-level function of typed arrays. V8 (Node 20) repeatedly deoptimized
  // methods that mixed long OSR'd loops with property accesses after them.

  /** Fills cand[] with 0..vocabSize−1 when the candidates are still the whole vocabulary. */
  private materialize(): void {
    if (!this.identity) return;
    fillIdentity(this.cand!, this.vocabSize);
    this.identity = false;
  }

  private ensureScratch(): void {
    const V = this.vocabSize;
    this.w ??= new Float64Array(V);
    this.keys ??= new Float64Array(V);
    this.tKey ??= new Float64Array(V);
    this.tId ??= new Int32Array(V);
    this.tW ??= new Float64Array(V);
  }

  private maxLogit(logits: Float32Array, n: number): number {
    if (this.sorted) return logits[this.cand![0]];
    if (this.identity) return logits[argmaxF32(logits, n)];
    return maxOver(logits, this.cand!, n);
  }

  /** Locally typical sampling (llama.cpp semantics: keep the lowest |−log p − H| tokens until their mass exceeds p). */
  private typical(logits: Float32Array, n: number): number {
    this.ensureScratch();
    const max = this.maxLogit(logits, n);
    if (!(max > -Infinity)) throw allBanned();
    const w = this.w!;
    const sum = expWeights(logits, this.cand!, n, max, 1, w);
    typicalKeys(w, n, sum, this.keys!);
    return this.selectPrefix(n, this.options.typicalP, true, Infinity);
  }

  /** Nucleus over a candidate list: the most likely tokens until their mass reaches p (llama.cpp: cum ≥ p, at least one). */
  private topP(logits: Float32Array, n: number): number {
    this.ensureScratch();
    const cand = this.cand!;
    const max = this.maxLogit(logits, n);
    if (!(max > -Infinity)) throw allBanned();
    const w = this.w!;
    const sum = expWeights(logits, cand, n, max, 1, w);
    const p = this.options.topP;
    if (this.sorted) {
      const cut = prefixReaching(w, n, sum, p);
      return cut < 0 ? n : cut;
    }
    const keys = this.keys!;
    negLogitKeys(logits, cand, n, sum, w, keys);
    // min-p comes next and keeps exactly the tokens with l >= max + ln(minP):
    // tokens under that threshold need not be gathered or sorted at all.
    const minP = this.options.minP;
    const keyLimit = minP > 0 ? -(max + Math.log(minP)) : Infinity;
    return this.selectPrefix(n, p, false, keyLimit);
  }

  /**
   * Top-p over the whole vocabulary in three passes: max; exp + normalizer +
   * mass histogram by distance from the max (1/32-logit buckets); gather the
   * tokens down to the bucket where the mass reaches p (one bucket of margin)
   * and, if min-p follows, not below its threshold. Only those are sorted.
   */
  private topPAll(logits: Float32Array): number {
    this.ensureScratch();
    const V = this.vocabSize;
    const max = logits[argmaxF32(logits, V)];
    if (!(max > -Infinity)) throw allBanned();
    const hist = (this.expHist ??= new Float64Array(EXP_BUCKETS + 1));
    const z = expMassHistogram(logits, V, max, hist);

    const p = this.options.topP;
    const minP = this.options.minP;
    const floor = minP > 0 ? max + Math.log(minP) : -Infinity;
    const b = firstBucketReaching(hist, EXP_BUCKETS, p * z);
    let thr = b >= 0 && b + 2 <= EXP_BUCKETS ? max - (b + 2) / EXP_STEPS : -Infinity;
    thr = Math.max(thr, floor);

    const tKey = this.tKey!;
    const tId = this.tId!;
    const tW = this.tW!;
    for (;;) {
      const m = gatherAbove(logits, V, thr, max, z, tKey, tId, tW);
      sortByKey(tKey, tId, tW, 0, m - 1);
      let cut = prefixReaching(tW, m, 1, p);
      if (cut < 0 && thr > floor) {
        thr = floor; // the histogram margin was not enough (rounding): gather everything min-p allows
        continue;
      }
      if (cut < 0) cut = m; // min-p binds before top-p does
      this.cand!.set(tId.subarray(0, cut));
      return cut;
    }
  }

  /**
   * Orders cand[0..n) by (keys asc, id asc) as far as needed and keeps the
   * shortest prefix whose mass (w, normalized) reaches `target` (`> target`
   * when strict, `>=` otherwise). Candidates with key > keyLimit are dropped
   * up front (the caller knows a later stage removes them; if the target is not
   * reached within the rest, all of the rest is kept). Returns the new count;
   * cand[0..count) is sorted by key.
   */
  private selectPrefix(n: number, target: number, strict: boolean, keyLimit: number): number {
    const cand = this.cand!;
    const keys = this.keys!;
    const w = this.w!;
    const tKey = this.tKey!;
    const tId = this.tId!;
    const tW = this.tW!;
    let limit = keyLimit;
    if (n > SORT_DIRECTLY) {
      // probability-mass histogram over the key range, to find the bucket where the cut falls
      const range = this.hist; // scratch: [lo, hi] in the first two slots, then overwritten
      keyRange(keys, n, limit, range);
      const lo = range[0];
      const hi = range[1];
      if (hi > lo) {
        const scale = BUCKETS / (hi - lo);
        keyHistogram(keys, w, n, lo, hi, scale, this.hist);
        const b = firstBucketReaching(this.hist, BUCKETS, target);
        // one bucket of margin against rounding in the bucket index
        if (b >= 0 && b + 2 < BUCKETS) limit = Math.min(limit, lo + (b + 2) / scale);
      }
    }
    for (;;) {
      const m = gatherKeys(keys, cand, w, n, limit, tKey, tId, tW);
      sortByKey(tKey, tId, tW, 0, m - 1);
      let cut = strict ? prefixExceeding(tW, m, target) : prefixReaching(tW, m, 1, target);
      if (cut < 0 && limit < keyLimit) {
        limit = keyLimit; // the histogram margin was not enough (rounding): gather everything allowed
        continue;
      }
      if (cut < 0) cut = m;
      if (cut === 0) {
        // nothing under keyLimit (cannot happen for top-p: the max is always kept); keep the best
        cut = 1;
        tId[0] = cand[0];
      }
      cand.set(tId.subarray(0, cut));
      return cut;
    }
  }

  /** Keeps the tokens with p ≥ minP · p_max, i.e. logit ≥ max + ln(minP) (llama.cpp). */
  private minP(logits: Float32Array, n: number): number {
    const threshold = this.maxLogit(logits, n) + Math.log(this.options.minP);
    const cand = this.cand!;
    if (this.sorted) return sortedPrefixAbove(logits, cand, n, threshold);
    if (this.identity) {
      this.identity = false;
      return gatherIdsAbove(logits, n, threshold, cand);
    }
    return compactAbove(logits, cand, n, threshold);
  }

  // ---------------------------------------------------------------- temperature, draw

  /** exp((l − max)/T) of every candidate into w; returns their sum. */
  private weigh(logits: Float32Array): number {
    const n = this.nCand;
    this.materialize();
    const w = (this.w ??= new Float64Array(this.vocabSize));
    const max = this.maxLogit(logits, n);
    if (!(max > -Infinity)) throw allBanned();
    return expWeights(logits, this.cand!, n, max, 1 / this.options.temperature, w);
  }

  private draw(logits: Float32Array): number {
    const sum = this.weigh(logits);
    return pick(this.w!, this.cand!, this.nCand, this.rng.nextDouble() * sum);
  }
}

// ---------------------------------------------------------------- loops

function fillIdentity(cand: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) cand[i] = i;
}

function maxOver(logits: Float32Array, cand: Int32Array, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const l = logits[cand[i]];
    if (l > max) max = l;
  }
  return max;
}

/** w[i] = exp((logits[cand[i]] − max) · invT); returns the sum. */
function expWeights(logits: Float32Array, cand: Int32Array, n: number, max: number, invT: number, w: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = expNeg((max - logits[cand[i]]) * invT);
    w[i] = e;
    sum += e;
  }
  return sum;
}

/** Normalizes w by sum and writes the typical-sampling key |−log p − H| of each into keys. */
function typicalKeys(w: Float64Array, n: number, sum: number, keys: Float64Array): void {
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const p = w[i] / sum;
    w[i] = p;
    if (p > 0) entropy -= p * Math.log(p);
  }
  for (let i = 0; i < n; i++) keys[i] = Math.abs(-Math.log(w[i]) - entropy);
}

/** Normalizes w by sum and writes −logit as the key (ascending key = descending logit). */
function negLogitKeys(logits: Float32Array, cand: Int32Array, n: number, sum: number, w: Float64Array, keys: Float64Array): void {
  for (let i = 0; i < n; i++) {
    w[i] /= sum;
    keys[i] = -logits[cand[i]];
  }
}

/** Length of the shortest prefix of w[0..n)/sum whose sum is ≥ target; −1 if none. */
function prefixReaching(w: Float64Array, n: number, sum: number, target: number): number {
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += w[i] / sum;
    if (cum >= target) return i + 1;
  }
  return -1;
}

/** Length of the shortest prefix of w[0..n) whose sum is > target; −1 if none. */
function prefixExceeding(w: Float64Array, n: number, target: number): number {
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += w[i];
    if (cum > target) return i + 1;
  }
  return -1;
}

/**
 * One pass: exp(l − max) of every logit (expNeg, inlined for the bucket index),
 * accumulated per 1/32-logit bucket of distance from the max (the last slot
 * takes everything 64 or more below). Returns the total (the softmax normalizer).
 */
function expMassHistogram(logits: Float32Array, n: number, max: number, hist: Float64Array): number {
  hist.fill(0);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const d = max - logits[i];
    let e: number;
    if (d < EXP_RANGE) {
      const s = d * EXP_STEPS;
      const b = s | 0;
      const r = (b - s) / EXP_STEPS;
      e = EXP_TABLE[b] * (1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r / 720))))));
      hist[b] += e;
    } else {
      e = Math.exp(-d);
      hist[EXP_BUCKETS] += e;
    }
    z += e;
  }
  return z;
}

/** First bucket b in [0, buckets) where the running sum of hist reaches target, or −1. */
function firstBucketReaching(hist: Float64Array, buckets: number, target: number): number {
  let cum = 0;
  for (let b = 0; b < buckets; b++) {
    cum += hist[b];
    if (cum >= target) return b;
  }
  return -1;
}

/** Tokens with logit ≥ thr into (key −l, id, p = exp(l − max)/z); returns how many. */
function gatherAbove(
  logits: Float32Array, n: number, thr: number, max: number, z: number,
  tKey: Float64Array, tId: Int32Array, tW: Float64Array,
): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const l = logits[i];
    if (l >= thr) {
      tKey[m] = -l;
      tId[m] = i;
      tW[m] = expNeg(max - l) / z;
      m++;
    }
  }
  return m;
}

/** Smallest and largest finite key ≤ limit into out[0], out[1]. */
function keyRange(keys: Float64Array, n: number, limit: number, out: Float64Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k <= limit && k < Infinity) {
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
  }
  out[0] = lo;
  out[1] = hi;
}

/** Mass w per key bucket over [lo, hi]; keys above hi are left out. */
function keyHistogram(keys: Float64Array, w: Float64Array, n: number, lo: number, hi: number, scale: number, hist: Float64Array): void {
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k <= hi) hist[Math.min(BUCKETS - 1, ((k - lo) * scale) | 0)] += w[i];
  }
}

/** Candidates with key ≤ limit into (tKey, tId, tW); returns how many. */
function gatherKeys(
  keys: Float64Array, cand: Int32Array, w: Float64Array, n: number, limit: number,
  tKey: Float64Array, tId: Int32Array, tW: Float64Array,
): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k <= limit) {
      tKey[m] = k;
      tId[m] = cand[i];
      tW[m] = w[i];
      m++;
    }
  }
  return m;
}

/** For cand sorted by descending logit: how many (at least 1) have logit ≥ threshold. */
function sortedPrefixAbove(logits: Float32Array, cand: Int32Array, n: number, threshold: number): number {
  let i = 1;
  while (i < n && logits[cand[i]] >= threshold) i++;
  return i;
}

/** Ids in [0, n) with logit ≥ threshold into cand; returns how many. */
function gatherIdsAbove(logits: Float32Array, n: number, threshold: number, cand: Int32Array): number {
  let m = 0;
  for (let i = 0; i < n; i++) if (logits[i] >= threshold) cand[m++] = i;
  return m;
}

/** Keeps, in order, the candidates with logit ≥ threshold; returns how many. */
function compactAbove(logits: Float32Array, cand: Int32Array, n: number, threshold: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const id = cand[i];
    if (logits[id] >= threshold) cand[m++] = id;
  }
  return m;
}

/** The first candidate where the running sum of w passes r (skipping zero weights). */
function pick(w: Float64Array, cand: Int32Array, n: number, r: number): number {
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (w[i] > 0) {
      acc += w[i];
      last = i;
      if (acc > r) return cand[i];
    }
  }
  return cand[last]; // r rounded up to sum
}

/** Index of the largest of logits[0..n), the first on ties (as greedy.ts's argmax, specialized for Float32Array). */
function argmaxF32(logits: Float32Array, n: number): number {
  let best = 0;
  let bestValue = logits[0];
  for (let i = 1; i < n; i++) {
    if (logits[i] > bestValue) {
      bestValue = logits[i];
      best = i;
    }
  }
  return best;
}

function allBanned(): InvalidArgumentError {
  return new InvalidArgumentError('Every token has logit -Infinity (all banned by logitBias?); nothing to sample');
}

/**
 * One pass over logits[0..n) keeping the k = hv.length best in a min-heap
 * (worst at the root). The scan for the next logit above the heap's floor is
 * its own small function: with the heap's sift-down inlined into the same loop,
 * V8 (Node 20) produced a loop 3-4x slower.
 */
function heapSelect(logits: Float32Array, n: number, hv: Float32Array, hi: Int32Array): void {
  const k = hv.length;
  for (let i = 0; i < k; i++) {
    hv[i] = logits[i];
    hi[i] = i;
  }
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(hv, hi, i, k);
  // a later id with an equal logit is worse (ties go to the lower id), so strictly-above is exact
  for (let i = nextAbove(logits, k, n, hv[0]); i < n; i = nextAbove(logits, i + 1, n, hv[0])) {
    hv[0] = logits[i];
    hi[0] = i;
    siftDown(hv, hi, 0, k);
  }
}

/** First index in [from, n) whose logit is > floor, or n. */
function nextAbove(logits: Float32Array, from: number, n: number, floor: number): number {
  for (let i = from; i < n; i++) if (logits[i] > floor) return i;
  return n;
}

/** Empties the heap into out[0..k), best first. */
function heapDrain(hv: Float32Array, hi: Int32Array, out: Int32Array): void {
  for (let m = hv.length - 1; m >= 0; m--) {
    out[m] = hi[0];
    hv[0] = hv[m];
    hi[0] = hi[m];
    siftDown(hv, hi, 0, m);
  }
}

/** Min-heap sift-down on (value asc, then id desc): the root is the worst of the k best. */
function siftDown(hv: Float32Array, hi: Int32Array, i: number, size: number): void {
  const v = hv[i];
  const id = hi[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    const r = c + 1;
    if (r < size && (hv[r] < hv[c] || (hv[r] === hv[c] && hi[r] > hi[c]))) c = r;
    if (hv[c] < v || (hv[c] === v && hi[c] > id)) {
      hv[i] = hv[c];
      hi[i] = hi[c];
      i = c;
    } else break;
  }
  hv[i] = v;
  hi[i] = id;
}

/** In-place quicksort of [lo, hi] by (key asc, id asc), carrying w along. Keys are never NaN; ids are distinct. */
function sortByKey(key: Float64Array, id: Int32Array, w: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot
    if (before(key, id, mid, lo)) swap(key, id, w, mid, lo);
    if (before(key, id, hi, lo)) swap(key, id, w, hi, lo);
    if (before(key, id, hi, mid)) swap(key, id, w, hi, mid);
    const pk = key[mid];
    const pi = id[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key[i] < pk || (key[i] === pk && id[i] < pi)) i++;
      while (key[j] > pk || (key[j] === pk && id[j] > pi)) j--;
      if (i <= j) {
        swap(key, id, w, i, j);
        i++;
        j--;
      }
    }
    // recurse into the smaller side, loop on the larger
    if (j - lo < hi - i) {
      sortByKey(key, id, w, lo, j);
      lo = i;
    } else {
      sortByKey(key, id, w, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const k = key[i];
    const d = id[i];
    const x = w[i];
    let j = i - 1;
    while (j >= lo && (key[j] > k || (key[j] === k && id[j] > d))) {
      key[j + 1] = key[j];
      id[j + 1] = id[j];
      w[j + 1] = w[j];
      j--;
    }
    key[j + 1] = k;
    id[j + 1] = d;
    w[j + 1] = x;
  }
}

function before(key: Float64Array, id: Int32Array, a: number, b: number): boolean {
  return key[a] < key[b] || (key[a] === key[b] && id[a] < id[b]);
}

function swap(key: Float64Array, id: Int32Array, w: Float64Array, a: number, b: number): void {
  const k = key[a];
  key[a] = key[b];
  key[b] = k;
  const d = id[a];
  id[a] = id[b];
  id[b] = d;
  const x = w[a];
  w[a] = w[b];
  w[b] = x;
}
