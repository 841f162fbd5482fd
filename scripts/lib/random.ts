/** Seeded random numbers for synthetic weights (xoshiro128** + Box–Muller). */
import { Xoshiro128 } from '../../src/sampler/prng.ts';

export class Gaussian {
  private rng: Xoshiro128;
  private spare: number | undefined;

  constructor(seed: number) {
    this.rng = new Xoshiro128(seed >>> 0);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.rng.nextDouble();
  }

  /** Standard normal. */
  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** n normal values with the given mean and standard deviation. */
  fill(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.next();
    return out;
  }
}

/** A seed derived from a base seed and a string (tensor name), so tensors are independent of order. */
export function seedFor(base: number, name: string): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
