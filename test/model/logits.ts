// Comparing logits in the model tests.

/** Normalized mean squared error of `a` against the reference `ref`: Σ(a − ref)² / Σ ref². */
export function nmse(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (a[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return num / den;
}

/** Index of the largest value (the first one on ties). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
