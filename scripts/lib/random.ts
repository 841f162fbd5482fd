/** Seeded random numbers for synthetic weights (xoshiro128** + Marsaglia's polar method). */
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

  /** Standard normal (Marsaglia's polar method on 32-bit uniforms: no sin/cos, one log per pair). */
  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u: number, v: number, q: number;
    do {
      u = this.rng.nextUint32() * 4.656612873077393e-10 - 1; // [-1, 1)
      v = this.rng.nextUint32() * 4.656612873077393e-10 - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
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
