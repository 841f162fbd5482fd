/**
 * A float64 reference forward pass for llama, qwen2 and bitnet (b1.58) GGUF models:
 * slow, simple, and independent of the C kernels. Every tensor is dequantized with
 * src/quant (exact to ggml's definitions; f32 values, kept in Float32Arrays, which
 * hold them exactly); all arithmetic after that is float64.
 *
 * Graph (llama.cpp's, per architecture):
 *   x = token_embd[token]
 *   per layer:  h = rmsnorm(x)·attn_norm
 *               q = Wq·h (+bq), k = Wk·h (+bk), v = Wv·h (+bv)       biases: whenever present (qwen2)
 *               RoPE on q, k: llama = "normal" (pairs 2i, 2i+1); qwen2, bitnet = NeoX (pairs i, i+d/2);
 *                 θ_i = pos · base^(−2i/d) / rope_freqs[i] (rope_freqs.weight, Llama 3.x, if present)
 *               attention per head, GQA (query head h reads KV head ⌊h / (n_head/n_head_kv)⌋),
 *                 scores q·k/√d over positions 0..pos, softmax
 *               bitnet: a = rmsnorm(a)·attn_sub_norm   (before the output projection)
 *               x += Wo·a
 *               h = rmsnorm(x)·ffn_norm
 *               llama/qwen2: f = silu(Wg·h) ⊙ (Wu·h)          (SwiGLU)
 *               bitnet:      f = relu(Wg·h)² ⊙ (Wu·h); f = rmsnorm(f)·ffn_sub_norm   (squared ReLU, sub-norm;
 *                            'silu' instead when the file's <arch>.hidden_activation or the
 *                            bitnetFfn option says so: upstream llama.cpp's default without the key)
 *   architectures: llama, qwen2, bitnet, and bitnet-b1.58 (BitNet's fork's name for the same graph)
 *               x += Wd·f
 *   logits = W_out · rmsnorm(x)·output_norm, W_out = output.weight or token_embd.weight (tied)
 *   rmsnorm(x) = x / √(mean(x²) + ε)
 *
 * BitNet b1.58 numerics (option `bitnetActivations`):
 *   'int8' (default): the input of every linear layer inside the blocks (q, k, v, o, gate, up,
 *     down) is quantized per token as BitNet's BitLinear does: s = 127 / max|x|,
 *     x̂ = clamp(round(x·s), −128, 127) / s (round half away from zero, as C's roundf in
 *     BitNet's quantize_row_i8_s). The weights are used as stored (the file's ternary
 *     values times their scale); the product x̂·W is then exact in float64, which is what
 *     the integer kernels compute (int8 × ternary sums, times the two scales).
 *   'float': no activation quantization (what llama.cpp does for F16/F32 bitnet weights;
 *     llama.cpp's TQ1_0/TQ2_0 paths instead quantize activations per 256-block to Q8_K).
 *   The embedding, norms, attention, and the output head stay float64 in both modes.
 */
import { GGUFFormatError, UnsupportedModelError } from '../../src/errors.ts';
import { getInteger, getNumber, requireInteger, requireNumber } from '../../src/gguf/metadata.ts';
import type { GGUFFile, GGUFTensorInfo } from '../../src/gguf/types.ts';
import { dequantize } from '../../src/quant/index.ts';

export type RefArch = 'llama' | 'qwen2' | 'bitnet';

export interface RefConfig {
  arch: RefArch;
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  ropeDim: number;
  ropeNeox: boolean;
  ropeBase: number;
  rmsEps: number;
  tiedOutput: boolean;
}

export interface ReferenceOptions {
  /** BitNet activation quantization before its ternary matmuls (default 'int8'). */
  bitnetActivations?: 'int8' | 'float';
  /**
   * BitNet FFN activation (default 'relu2', BitNet b1.58 2B4T's squared ReLU; 'silu' is
   * what upstream llama.cpp's `bitnet` graph computes when the file does not name one).
   */
  bitnetFfn?: 'relu2' | 'silu';
}

/**
 * Weights as dequantized: every ggml dequantizer produces f32 values, so a Float32Array
 * holds them exactly (half the memory of float64: a Llama-3.2-1B-shape model fits in ~5 GB).
 * All arithmetic on them is float64.
 */
type W = Float32Array;

interface Layer {
  attnNorm: W; wq: W; wk: W; wv: W; wo: W;
  bq?: W; bk?: W; bv?: W;
  attnSubNorm?: W;
  ffnNorm: W; wg: W; wu: W; wd: W;
  ffnSubNorm?: W;
}

export interface ReferenceModel {
  readonly config: RefConfig;
  /**
   * Run `token` at `pos` and return the logits. Positions run in order; position 0 starts
   * a fresh sequence (the KV cache is dropped), so this is also a `ForwardModel` for
   * src/eval/perplexity.ts (cast the Float64Array).
   */
  step(token: number, pos: number): Float64Array;
  /** Forget the KV cache. */
  reset(): void;
  /** Logits after each token of `tokens`, from position 0 (resets first). */
  forward(tokens: number[]): Float64Array[];
  /** Greedy continuation: `n` argmax tokens after `prompt` (resets first). */
  greedy(prompt: number[], n: number): number[];
}

/** GGUF architecture names the reference runs: BitNet's fork names its b1.58 2B graph `bitnet-b1.58`. */
const ARCHES: Record<string, RefArch> = { llama: 'llama', qwen2: 'qwen2', bitnet: 'bitnet', 'bitnet-b1.58': 'bitnet' };

export function referenceConfig(gguf: GGUFFile): RefConfig {
  const name = gguf.metadata.get('general.architecture');
  const arch = typeof name === 'string' ? ARCHES[name] : undefined;
  if (!arch) {
    throw new UnsupportedModelError(`reference forward: architecture '${String(name)}' is not implemented (${Object.keys(ARCHES).join(', ')})`);
  }
  const k = (s: string) => `${name}.${s}`;
  const nEmbd = requireInteger(gguf, k('embedding_length'));
  const nHead = requireInteger(gguf, k('attention.head_count'));
  const headDim = getInteger(gguf, k('attention.key_length')) ?? nEmbd / nHead;
  const embd = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd) throw new GGUFFormatError('no token_embd.weight');
  return {
    arch,
    nVocab: embd.dims[1],
    nEmbd,
    nLayer: requireInteger(gguf, k('block_count')),
    nHead,
    nHeadKv: getInteger(gguf, k('attention.head_count_kv')) ?? nHead,
    headDim,
    nFf: requireInteger(gguf, k('feed_forward_length')),
    ropeDim: getInteger(gguf, k('rope.dimension_count')) ?? headDim,
    ropeNeox: arch !== 'llama',
    ropeBase: getNumber(gguf, k('rope.freq_base')) ?? 10000,
    rmsEps: requireNumber(gguf, k('attention.layer_norm_rms_epsilon')),
    tiedOutput: !gguf.tensors.some((t) => t.name === 'output.weight'),
  };
}

/** Dequantize a tensor of `gguf` (absolute offsets into `bytes`): exact f32 values. */
export function tensorF32(gguf: GGUFFile, bytes: Uint8Array, name: string): Float32Array {
  const t = gguf.tensors.find((x) => x.name === name);
  if (!t) throw new GGUFFormatError(`reference forward: missing tensor '${name}'`);
  return dequantTensor(t, bytes);
}

/** The same as float64. */
export function tensorF64(gguf: GGUFFile, bytes: Uint8Array, name: string): Float64Array {
  return Float64Array.from(tensorF32(gguf, bytes, name));
}

function dequantTensor(t: GGUFTensorInfo, bytes: Uint8Array): Float32Array {
  if (t.offset + t.byteSize > bytes.length) throw new GGUFFormatError(`tensor '${t.name}' runs past the end of the bytes given`);
  return dequantize(t.type, bytes.subarray(t.offset, t.offset + t.byteSize), t.nElements);
}

/** y = W·x for W row-major [rows][cols] (ggml ne0 = cols), accumulated in float64. */
export function matvec(W: Float32Array | Float64Array, x: Float64Array, rows: number): Float64Array {
  const cols = x.length, y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += W[o + c] * x[c];
    y[r] = s;
  }
  return y;
}

export function rmsnorm(x: Float64Array, w: Float32Array | Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const s = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * s * w[i]);
}

/** BitNet's per-token absmax int8 activation quantization (x̂ = round(x·127/max|x|)·max|x|/127). */
export function quantizeActivationsInt8(x: Float64Array): Float64Array {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  if (m === 0) return x.slice();
  const s = 127 / m;
  return x.map((v) => {
    const q = v < 0 ? -Math.round(-v * s) : Math.round(v * s);
    return Math.max(-128, Math.min(127, q)) / s;
  });
}

export function loadReference(gguf: GGUFFile, bytes: Uint8Array, options: ReferenceOptions = {}): ReferenceModel {
  const c = referenceConfig(gguf);
  const get = (name: string) => tensorF32(gguf, bytes, name);
  const opt = (name: string) => (gguf.tensors.some((t) => t.name === name) ? get(name) : undefined);
  const embd = get('token_embd.weight');
  const outNorm = get('output_norm.weight');
  const output = c.tiedOutput ? embd : get('output.weight');
  const ropeFreqs = opt('rope_freqs.weight');
  const bitnet = c.arch === 'bitnet';
  const actQuant = bitnet && (options.bitnetActivations ?? 'int8') === 'int8';
  // squared ReLU unless the option or the file's `<arch>.hidden_activation` says SiLU
  const act = gguf.metadata.get(`${String(gguf.metadata.get('general.architecture'))}.hidden_activation`);
  const relu2 = bitnet && (options.bitnetFfn ?? (act === 'silu' || act === 'swiglu' ? 'silu' : 'relu2')) === 'relu2';
  const layers: Layer[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const b = `blk.${i}.`;
    layers.push({
      attnNorm: get(b + 'attn_norm.weight'), wq: get(b + 'attn_q.weight'), wk: get(b + 'attn_k.weight'),
      wv: get(b + 'attn_v.weight'), wo: get(b + 'attn_output.weight'),
      bq: opt(b + 'attn_q.bias'), bk: opt(b + 'attn_k.bias'), bv: opt(b + 'attn_v.bias'),
      attnSubNorm: bitnet ? get(b + 'attn_sub_norm.weight') : undefined,
      ffnNorm: get(b + 'ffn_norm.weight'), wg: get(b + 'ffn_gate.weight'), wu: get(b + 'ffn_up.weight'),
      wd: get(b + 'ffn_down.weight'),
      ffnSubNorm: bitnet ? get(b + 'ffn_sub_norm.weight') : undefined,
    });
  }
  const qDim = c.nHead * c.headDim, kvDim = c.nHeadKv * c.headDim;
  const kCache: Float64Array[][] = layers.map(() => []);
  const vCache: Float64Array[][] = layers.map(() => []);

  // θ_i for rotated pair i: base^(−2i/n_rot) / freq_factor_i
  const invFreq = new Float64Array(c.ropeDim / 2);
  for (let i = 0; i < c.ropeDim / 2; i++) invFreq[i] = c.ropeBase ** ((-2 * i) / c.ropeDim) / (ropeFreqs ? ropeFreqs[i] : 1);

  function rope(x: Float64Array, nHeads: number, pos: number): void {
    for (let h = 0; h < nHeads; h++) {
      const o = h * c.headDim;
      for (let i = 0; i < c.ropeDim / 2; i++) {
        const th = pos * invFreq[i], cs = Math.cos(th), sn = Math.sin(th);
        const a = c.ropeNeox ? o + i : o + 2 * i;
        const b = c.ropeNeox ? o + i + c.ropeDim / 2 : o + 2 * i + 1;
        const x0 = x[a], x1 = x[b];
        x[a] = x0 * cs - x1 * sn;
        x[b] = x0 * sn + x1 * cs;
      }
    }
  }

  const lin = (W: W, x: Float64Array, rows: number) => matvec(W, actQuant ? quantizeActivationsInt8(x) : x, rows);
  const addBias = (y: Float64Array, b?: W) => { if (b) for (let i = 0; i < y.length; i++) y[i] += b[i]; return y; };

  function step(token: number, pos: number): Float64Array {
    if (!Number.isInteger(token) || token < 0 || token >= c.nVocab) throw new RangeError(`token ${token} out of range`);
    if (pos === 0) reset();
    if (pos !== kCache[0].length) throw new RangeError(`position ${pos}: expected ${kCache[0].length} (positions run in order)`);
    const x = Float64Array.from(embd.subarray(token * c.nEmbd, (token + 1) * c.nEmbd));
    for (let l = 0; l < c.nLayer; l++) {
      const L = layers[l];
      let h = rmsnorm(x, L.attnNorm, c.rmsEps);
      const q = addBias(lin(L.wq, h, qDim), L.bq);
      const k = addBias(lin(L.wk, h, kvDim), L.bk);
      const v = addBias(lin(L.wv, h, kvDim), L.bv);
      rope(q, c.nHead, pos);
      rope(k, c.nHeadKv, pos);
      kCache[l].push(k);
      vCache[l].push(v);
      let att: Float64Array = new Float64Array(qDim);
      const group = c.nHead / c.nHeadKv, scale = 1 / Math.sqrt(c.headDim);
      for (let hd = 0; hd < c.nHead; hd++) {
        const qo = hd * c.headDim, ko = Math.floor(hd / group) * c.headDim;
        const sc = new Float64Array(pos + 1);
        let mx = -Infinity;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          for (let d = 0; d < c.headDim; d++) s += q[qo + d] * kCache[l][t][ko + d];
          sc[t] = s * scale;
          mx = Math.max(mx, sc[t]);
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) { sc[t] = Math.exp(sc[t] - mx); sum += sc[t]; }
        for (let t = 0; t <= pos; t++) {
          const p = sc[t] / sum, vt = vCache[l][t];
          for (let d = 0; d < c.headDim; d++) att[qo + d] += p * vt[ko + d];
        }
      }
      if (L.attnSubNorm) att = rmsnorm(att, L.attnSubNorm, c.rmsEps);
      const o = lin(L.wo, att, c.nEmbd);
      for (let i = 0; i < c.nEmbd; i++) x[i] += o[i];

      h = rmsnorm(x, L.ffnNorm, c.rmsEps);
      const g = lin(L.wg, h, c.nFf), u = lin(L.wu, h, c.nFf);
      let f: Float64Array = new Float64Array(c.nFf);
      for (let i = 0; i < c.nFf; i++) {
        f[i] = relu2 ? Math.max(0, g[i]) ** 2 * u[i] : (g[i] / (1 + Math.exp(-g[i]))) * u[i];
      }
      if (L.ffnSubNorm) f = rmsnorm(f, L.ffnSubNorm, c.rmsEps);
      const d = lin(L.wd, f, c.nEmbd);
      for (let i = 0; i < c.nEmbd; i++) x[i] += d[i];
    }
    return matvec(output, rmsnorm(x, outNorm, c.rmsEps), c.nVocab);
  }

  function reset(): void {
    for (const a of kCache) a.length = 0;
    for (const a of vCache) a.length = 0;
  }

  return {
    config: c,
    step,
    reset,
    forward(tokens) {
      reset();
      return tokens.map((t, i) => step(t, i));
    },
    greedy(prompt, n) {
      reset();
      let logits: Float64Array = new Float64Array(0);
      prompt.forEach((t, i) => { logits = step(t, i); });
      const out: number[] = [];
      for (let pos = prompt.length; out.length < n; pos++) {
        let best = 0;
        for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        out.push(best);
        if (out.length < n) logits = step(best, pos);
      }
      return out;
    },
  };
}
