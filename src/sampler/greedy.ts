/** Index of the largest logit (the first one on ties, as llama.cpp's greedy sampler). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = logits[0];
  for (let i = 1; i < logits.length; i++) {
    if (logits[i] > bestValue) {
      bestValue = logits[i];
      best = i;
    }
  }
  return best;
}
