/**
 * Sampling options and their validation.
 *
 * Defaults follow llama.cpp's `common_params_sampling` where that makes sense
 * for a browser engine: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05,
 * typical-p 1 (off), repetition penalty 1 (off), frequency/presence penalty 0
 * (off), a penalty window of the last 64 accepted tokens. As in llama.cpp, a
 * sampler without a seed draws a random one (see `Sampler.seed`).
 */
import { InvalidArgumentError } from '../errors.ts';

export interface SamplerOptions {
  /** Softmax temperature. `0` (or anything ≤ 0) means greedy: argmax after logit bias and penalties. Default 0.8. */
  temperature?: number;
  /** Keep only the k most likely tokens. `0` disables the stage, as does k ≥ vocabulary size. Integer ≥ 0. Default 40. */
  topK?: number;
  /** Nucleus sampling: keep the smallest most-likely set whose probability reaches p. `1` disables. In [0, 1]. Default 0.95. */
  topP?: number;
  /** Drop tokens whose probability is below p × the probability of the most likely token. `0` disables. In [0, 1]. Default 0.05. */
  minP?: number;
  /** Locally typical sampling (Meister et al. 2022). `1` disables. In [0, 1]. Default 1. */
  typicalP?: number;
  /**
   * CTRL-style repetition penalty over the last `penaltyLastN` accepted tokens:
   * a positive logit is divided by it, a negative (or zero) logit multiplied, as
   * llama.cpp does. `1` disables. Finite, > 0. Default 1.
   */
  repetitionPenalty?: number;
  /** OpenAI-style: subtract count × this from the logit of every token seen in the window. `0` disables. Finite. Default 0. */
  frequencyPenalty?: number;
  /** OpenAI-style: subtract this once from the logit of every token seen in the window. `0` disables. Finite. Default 0. */
  presencePenalty?: number;
  /** How many of the most recently accepted tokens the penalties look at. `0` disables penalties. Integer in [0, 1<<20]. Default 64. */
  penaltyLastN?: number;
  /**
   * Added to the logit of the given token ids before anything else. `-Infinity`
   * bans a token. Ids must be integers in [0, vocabSize); values finite or -Infinity.
   */
  logitBias?: Record<number, number> | Map<number, number>;
  /** Seed of the sampler's PRNG (an unsigned 32-bit integer). Same seed + same logits + same accepted tokens = same output. Default: random. */
  seed?: number;
}

/** The options with every default filled in and the logit bias as parallel arrays. */
export interface ResolvedSamplerOptions {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  typicalP: number;
  repetitionPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
  penaltyLastN: number;
  /** Token ids with a bias, ascending. */
  biasIds: Int32Array;
  /** The bias of `biasIds[i]`. */
  biasValues: Float64Array;
  /** `undefined` when the caller gave none (the sampler then draws one). */
  seed: number | undefined;
}

export const DEFAULT_SAMPLER_OPTIONS = Object.freeze({
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  typicalP: 1,
  repetitionPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  penaltyLastN: 64,
});

/** Largest accepted `penaltyLastN` (the window is preallocated). */
export const MAX_PENALTY_LAST_N = 1 << 20;

function num(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError(`Sampler option ${name} must be a number, got ${String(value)}`);
  }
  return value;
}

function finite(name: string, value: unknown, fallback: number): number {
  const v = num(name, value, fallback);
  if (!Number.isFinite(v)) throw new InvalidArgumentError(`Sampler option ${name} must be finite, got ${v}`);
  return v;
}

function unitInterval(name: string, value: unknown, fallback: number): number {
  const v = num(name, value, fallback);
  if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError(`Sampler option ${name} must be in [0, 1], got ${v}`);
  return v;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = num(name, value, fallback);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`Sampler option ${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

function resolveBias(bias: unknown, vocabSize: number): { ids: Int32Array; values: Float64Array } {
  if (bias === undefined) return { ids: new Int32Array(0), values: new Float64Array(0) };
  let entries: [unknown, unknown][];
  if (bias instanceof Map) entries = [...bias.entries()];
  else if (typeof bias === 'object' && bias !== null && !Array.isArray(bias)) entries = Object.entries(bias);
  else throw new InvalidArgumentError('Sampler option logitBias must be a Record<number, number> or a Map<number, number>');

  const merged = new Map<number, number>();
  for (const [key, value] of entries) {
    const id = typeof key === 'number' ? key : typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InvalidArgumentError(`logitBias: token id ${String(key)} is not an integer in [0, ${vocabSize})`);
    }
    if (typeof value !== 'number' || Number.isNaN(value) || value === Infinity) {
      throw new InvalidArgumentError(`logitBias: bias of token ${id} must be a finite number or -Infinity, got ${String(value)}`);
    }
    merged.set(id, value);
  }
  const ids = Int32Array.from([...merged.keys()].sort((a, b) => a - b));
  const values = Float64Array.from(ids, (id) => merged.get(id)!);
  return { ids, values };
}

/**
 * Validates `options` against a vocabulary of `vocabSize` tokens and fills in
 * the defaults. Throws InvalidArgumentError on the first bad value.
 */
export function resolveSamplerOptions(options: SamplerOptions, vocabSize: number): ResolvedSamplerOptions {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new InvalidArgumentError(`vocabSize must be a positive integer, got ${String(vocabSize)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Sampler options must be an object');
  }
  const d = DEFAULT_SAMPLER_OPTIONS;
  const repetitionPenalty = finite('repetitionPenalty', options.repetitionPenalty, d.repetitionPenalty);
  if (!(repetitionPenalty > 0)) {
    throw new InvalidArgumentError(`Sampler option repetitionPenalty must be > 0, got ${repetitionPenalty}`);
  }
  const bias = resolveBias(options.logitBias, vocabSize);
  const seed = options.seed === undefined ? undefined : integer('seed', options.seed, 0, 0, 0xffffffff);
  return {
    temperature: finite('temperature', options.temperature, d.temperature),
    topK: integer('topK', options.topK, d.topK, 0, Number.MAX_SAFE_INTEGER),
    topP: unitInterval('topP', options.topP, d.topP),
    minP: unitInterval('minP', options.minP, d.minP),
    typicalP: unitInterval('typicalP', options.typicalP, d.typicalP),
    repetitionPenalty,
    frequencyPenalty: finite('frequencyPenalty', options.frequencyPenalty, d.frequencyPenalty),
    presencePenalty: finite('presencePenalty', options.presencePenalty, d.presencePenalty),
    penaltyLastN: integer('penaltyLastN', options.penaltyLastN, d.penaltyLastN, 0, MAX_PENALTY_LAST_N),
    biasIds: bias.ids,
    biasValues: bias.values,
    seed,
  };
}
