/**
 * A float64 llama forward pass, written for clarity, to check the C one.
 * Weights are given as dequantized float arrays, row-major [rows][ne0].
 */
export interface RefConfig {
  nVocab: number; nEmbd: number; nLayer: number; nHead: number; nHeadKv: number; headDim: number;
  nFf: number; ropeDim: number; ropeNeox: boolean; ropeBase: number; rmsEps: number;
  /** Linear RoPE scaling (positions times this); default 1. */
  ropeFreqScale?: number;
  /** Per-pair frequency divisors (a GGUF's rope_freqs.weight). */
  ropeFactors?: ArrayLike<number>;
}

export interface RefLayer {
  attnNorm: ArrayLike<number>; wq: ArrayLike<number>; wk: ArrayLike<number>; wv: ArrayLike<number>; wo: ArrayLike<number>;
  ffnNorm: ArrayLike<number>; wGate: ArrayLike<number>; wUp: ArrayLike<number>; wDown: ArrayLike<number>;
}

export interface RefWeights {
  tokenEmbd: ArrayLike<number>;
  outputNorm: ArrayLike<number>;
  output: ArrayLike<number> | null; // null: tied to tokenEmbd
  layers: RefLayer[];
}

function matvec(W: ArrayLike<number>, x: ArrayLike<number>, rows: number): Float64Array {
  const K = x.length, y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += W[r * K + k] * x[k];
    y[r] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: ArrayLike<number>, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const s = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * s * w[i]);
}

function rope(x: Float64Array, nHeads: number, c: RefConfig, pos: number) {
  for (let h = 0; h < nHeads; h++)
    for (let i = 0; i < c.ropeDim / 2; i++) {
      const t = (pos * (c.ropeFreqScale ?? 1) * c.ropeBase ** ((-2 * i) / c.ropeDim)) / (c.ropeFactors?.[i] ?? 1);
      const o = h * c.headDim;
      const [a, b] = c.ropeNeox ? [o + i, o + i + c.ropeDim / 2] : [o + 2 * i, o + 2 * i + 1];
      const xa = x[a], xb = x[b];
      x[a] = xa * Math.cos(t) - xb * Math.sin(t);
      x[b] = xa * Math.sin(t) + xb * Math.cos(t);
    }
}

/** A stateful reference model: call forward(token, pos) with pos = 0, 1, 2, ... */
export function referenceModel(c: RefConfig, w: RefWeights) {
  const kvDim = c.nHeadKv * c.headDim;
  const kCache: Float64Array[][] = w.layers.map(() => []);
  const vCache: Float64Array[][] = w.layers.map(() => []);
  return {
    forward(token: number, pos: number): Float64Array {
      let x = Float64Array.from({ length: c.nEmbd }, (_, i) => w.tokenEmbd[token * c.nEmbd + i]);
      w.layers.forEach((L, l) => {
        const h = rmsnorm(x, L.attnNorm, c.rmsEps);
        const q = matvec(L.wq, h, c.nHead * c.headDim), k = matvec(L.wk, h, kvDim), v = matvec(L.wv, h, kvDim);
        rope(q, c.nHead, c, pos);
        rope(k, c.nHeadKv, c, pos);
        kCache[l][pos] = k;
        vCache[l][pos] = v;
        const att = new Float64Array(c.nHead * c.headDim);
        const group = c.nHead / c.nHeadKv;
        for (let hd = 0; hd < c.nHead; hd++) {
          const kvh = Math.floor(hd / group);
          const s = new Float64Array(pos + 1);
          for (let t = 0; t <= pos; t++) {
            let d = 0;
            for (let i = 0; i < c.headDim; i++) d += q[hd * c.headDim + i] * kCache[l][t][kvh * c.headDim + i];
            s[t] = d / Math.sqrt(c.headDim);
          }
          const mx = Math.max(...s);
          let z = 0;
          for (let t = 0; t <= pos; t++) z += (s[t] = Math.exp(s[t] - mx));
          for (let t = 0; t <= pos; t++)
            for (let i = 0; i < c.headDim; i++) att[hd * c.headDim + i] += (s[t] / z) * vCache[l][t][kvh * c.headDim + i];
        }
        const o = matvec(L.wo, att, c.nEmbd);
        x = x.map((v, i) => v + o[i]);
        const h2 = rmsnorm(x, L.ffnNorm, c.rmsEps);
        const g = matvec(L.wGate, h2, c.nFf), u = matvec(L.wUp, h2, c.nFf);
        const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
        const d = matvec(L.wDown, a, c.nEmbd);
        x = x.map((v, i) => v + d[i]);
      });
      return matvec(w.output ?? w.tokenEmbd, rmsnorm(x, w.outputNorm, c.rmsEps), c.nVocab);
    },
  };
}
