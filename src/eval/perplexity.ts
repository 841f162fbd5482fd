/**
 * Perplexity of a model over a text, with the protocol of DESIGN.md §5 (the
 * one the llama.cpp reference numbers were measured with):
 *
 *  - tokenize the first `maxChars` characters once, without BOS;
 *  - cut `nChunks` consecutive chunks of nCtx - 1 tokens, and run each as
 *    BOS + chunk from position 0 (a fresh context per chunk);
 *  - score every position: the logits after input i predict input i + 1, so a
 *    chunk gives nCtx - 1 predictions (8 × 255 = 2,040 by default);
 *  - PPL = exp(mean negative log-likelihood), with the log-softmax in float64.
 */
export interface ForwardModel {
  forward(token: number, pos: number): Float32Array;
}

export interface TextTokenizer {
  readonly bosId: number;
  encode(text: string, opts?: { addSpecial?: boolean }): number[];
}

export interface PerplexityOptions {
  /** Context per chunk, BOS included (default 256). */
  nCtx?: number;
  /** Chunks to score (default 8). Fewer are scored if the text is too short. */
  nChunks?: number;
  /** Characters of the text to tokenize (default 200,000). */
  maxChars?: number;
  /** Called after each chunk with the perplexity so far. */
  onChunk?: (chunk: number, pplSoFar: number) => void;
}

export interface PerplexityResult {
  ppl: number;
  /** Mean negative log-likelihood (nats). */
  meanNll: number;
  predictions: number;
  chunks: number;
  /** Tokens the text prefix produced. */
  textTokens: number;
  seconds: number;
}

/** -log softmax(logits)[target], in float64. */
export function negLogLikelihood(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum) - logits[target];
}

export function perplexityOfTokens(model: ForwardModel, tokens: ArrayLike<number>, bosId: number,
  options: PerplexityOptions = {}): PerplexityResult {
  const nCtx = options.nCtx ?? 256, per = nCtx - 1;
  if (!(nCtx >= 2)) throw new RangeError(`nCtx must be at least 2, got ${nCtx}`);
  const chunks = Math.min(options.nChunks ?? 8, Math.floor(tokens.length / per));
  if (chunks < 1) throw new RangeError(`the text has ${tokens.length} tokens; one chunk needs ${per}`);
  const t0 = performance.now();
  let nll = 0, predictions = 0;
  const input = new Array<number>(nCtx);
  for (let c = 0; c < chunks; c++) {
    input[0] = bosId;
    for (let i = 1; i < nCtx; i++) input[i] = tokens[c * per + i - 1];
    for (let pos = 0; pos < nCtx - 1; pos++) {
      nll += negLogLikelihood(model.forward(input[pos], pos), input[pos + 1]);
      predictions++;
    }
    options.onChunk?.(c, Math.exp(nll / predictions));
  }
  const meanNll = nll / predictions;
  return { ppl: Math.exp(meanNll), meanNll, predictions, chunks, textTokens: tokens.length, seconds: (performance.now() - t0) / 1000 };
}

export function perplexity(model: ForwardModel, tokenizer: TextTokenizer, text: string,
  options: PerplexityOptions = {}): PerplexityResult {
  const tokens = tokenizer.encode(text.slice(0, options.maxChars ?? 200_000), { addSpecial: false });
  return perplexityOfTokens(model, tokens, tokenizer.bosId, options);
}
