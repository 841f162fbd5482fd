/**
 * Which GGUF tensor feeds which weight slot of lutra's llama forward pass, and
 * whether lutra can run it: names, types and shapes are all checked here,
 * before any bytes are copied, so a file that cannot run fails fast with an
 * error naming the tensor.
 */
import { GGUFFormatError, UnsupportedModelError } from '../errors.ts';
import { GGMLType, ggmlTypeName } from '../gguf/ggml-types.ts';
import type { GGUFFile, GGUFTensorInfo } from '../gguf/types.ts';
import { Slot, type SlotId } from '../wasm/exports.ts';
import { archGraph, type LlamaConfig } from './config.ts';
import { QUANT_CODECS } from '../quant/index.ts';

export interface TensorBinding {
  tensor: GGUFTensorInfo;
  /** -1 for the global tensors. */
  layer: number;
  slot: SlotId;
  /** ne0 (row length) and ne1 (rows) as the C side takes them. */
  ne0: number;
  ne1: number;
}

export interface LlamaTensors {
  bindings: TensorBinding[];
  /** `output.weight` is absent: the output head is `token_embd.weight`. */
  tiedOutput: boolean;
  /** Per-dimension RoPE frequency divisors (Llama 3.1+), if the file has them. */
  ropeFreqs: GGUFTensorInfo | undefined;
}

/**
 * Weight types lutra runs (kernel per type and shape: kernel-choice.ts): F32/F16/Q8_0 on the
 * plain GEMV kernels, the repackable types on the LUT or multiply-add kernels, and every other
 * type src/quant can dequantize on the fallback path.
 */
export const MATRIX_TYPES: readonly number[] = [...QUANT_CODECS.keys()];
/** Norm weights are applied element-wise in f32. */
export const NORM_TYPES: readonly number[] = [GGMLType.F32];

const GLOBAL: Record<string, SlotId> = {
  'token_embd.weight': Slot.TOKEN_EMBD,
  'output_norm.weight': Slot.OUTPUT_NORM,
  'output.weight': Slot.OUTPUT,
};

const PER_LAYER: Record<string, SlotId> = {
  attn_norm: Slot.ATTN_NORM,
  attn_q: Slot.ATTN_Q,
  attn_k: Slot.ATTN_K,
  attn_v: Slot.ATTN_V,
  attn_output: Slot.ATTN_OUT,
  ffn_norm: Slot.FFN_NORM,
  ffn_gate: Slot.FFN_GATE,
  ffn_up: Slot.FFN_UP,
  ffn_down: Slot.FFN_DOWN,
};

/** Per-layer tensors of some architectures (archGraph): F32 vectors. */
const OPTIONAL: Record<string, SlotId> = {
  'attn_q.bias': Slot.ATTN_Q_BIAS,
  'attn_k.bias': Slot.ATTN_K_BIAS,
  'attn_v.bias': Slot.ATTN_V_BIAS,
  'attn_sub_norm.weight': Slot.ATTN_SUB_NORM,
  'ffn_sub_norm.weight': Slot.FFN_SUB_NORM,
};

const PER_LAYER_COUNT = Object.keys(PER_LAYER).length;

const SLOT_NAMES = Object.fromEntries(Object.entries(Slot).map(([k, v]) => [v, k])) as Record<SlotId, string>;

function isNorm(slot: SlotId): boolean {
  return slot === Slot.OUTPUT_NORM || slot === Slot.ATTN_NORM || slot === Slot.FFN_NORM || slot >= Slot.ATTN_Q_BIAS;
}

/** [ne0, ne1] each slot must have under `c`. */
function expectedShape(slot: SlotId, c: LlamaConfig): [number, number] {
  const qDim = c.headCount * c.headDim, kvDim = c.headCountKv * c.headDim;
  switch (slot) {
    case Slot.TOKEN_EMBD: case Slot.OUTPUT: return [c.embeddingLength, c.vocabSize];
    case Slot.OUTPUT_NORM: case Slot.ATTN_NORM: case Slot.FFN_NORM: return [c.embeddingLength, 1];
    case Slot.ATTN_Q: return [c.embeddingLength, qDim];
    case Slot.ATTN_K: case Slot.ATTN_V: return [c.embeddingLength, kvDim];
    case Slot.ATTN_OUT: return [qDim, c.embeddingLength];
    case Slot.FFN_GATE: case Slot.FFN_UP: return [c.embeddingLength, c.feedForwardLength];
    case Slot.FFN_DOWN: return [c.feedForwardLength, c.embeddingLength];
    case Slot.ATTN_Q_BIAS: case Slot.ATTN_SUB_NORM: return [qDim, 1];
    case Slot.ATTN_K_BIAS: case Slot.ATTN_V_BIAS: return [kvDim, 1];
    case Slot.FFN_SUB_NORM: return [c.feedForwardLength, 1];
  }
}

function typeList(types: readonly number[]): string {
  return types.map(ggmlTypeName).join(', ');
}

export function bindLlamaTensors(gguf: GGUFFile, c: LlamaConfig): LlamaTensors {
  // every layer has 9 tensors: a forged block_count must not drive the loops below
  if (c.blockCount * PER_LAYER_COUNT > gguf.tensors.length) {
    throw new GGUFFormatError(
      `the metadata says ${c.blockCount} layers (${c.blockCount * PER_LAYER_COUNT} layer tensors), but the file has ${gguf.tensors.length} tensors`);
  }
  const bindings: TensorBinding[] = [];
  const seen = new Set<string>();
  let ropeFreqs: GGUFTensorInfo | undefined;

  for (const t of gguf.tensors) {
    if (seen.has(t.name)) throw new GGUFFormatError(`tensor '${t.name}' appears twice`);
    seen.add(t.name);
    if (t.name === 'rope_freqs.weight') {
      if (t.type !== GGMLType.F32 || t.nElements !== c.ropeDim / 2) {
        throw new UnsupportedModelError(
          `tensor 'rope_freqs.weight' is ${ggmlTypeName(t.type)} [${t.dims.join(', ')}]; expected F32 [${c.ropeDim / 2}]`,
        );
      }
      ropeFreqs = t;
      continue;
    }
    let layer = -1;
    let slot: SlotId | undefined = GLOBAL[t.name];
    const m = /^blk\.(\d+)\.([a-z_]+)\.weight$/.exec(t.name);
    const opt = /^blk\.(\d+)\.([a-z_]+\.(?:weight|bias))$/.exec(t.name);
    const graph = archGraph(gguf, c.architecture);
    if (slot === undefined && opt && OPTIONAL[opt[2]] !== undefined) {
      const s = OPTIONAL[opt[2]];
      const wanted = s === Slot.ATTN_SUB_NORM || s === Slot.FFN_SUB_NORM ? graph.subNorms : graph.qkvBias;
      if (wanted) {
        layer = Number(opt[1]);
        slot = s;
        if (layer >= c.blockCount) throw new GGUFFormatError(`tensor '${t.name}' is for layer ${layer}, but the model has ${c.blockCount} layers`);
      }
    }
    if (slot === undefined && m) {
      layer = Number(m[1]);
      slot = PER_LAYER[m[2]];
      if (slot !== undefined && layer >= c.blockCount) {
        throw new GGUFFormatError(`tensor '${t.name}' is for layer ${layer}, but the model has ${c.blockCount} layers`);
      }
    }
    if (slot === undefined) {
      throw new UnsupportedModelError(
        `tensor '${t.name}' (${ggmlTypeName(t.type)}) is not part of the llama graph lutra runs ` +
          '(biases, extra norms and other additions are not supported yet)',
      );
    }

    const allowed = isNorm(slot) ? NORM_TYPES : MATRIX_TYPES;
    if (!allowed.includes(t.type)) {
      throw new UnsupportedModelError(
        `tensor '${t.name}' has type ${ggmlTypeName(t.type)}, which lutra cannot run on this path yet ` +
          `(supported for ${isNorm(slot) ? 'norm weights' : 'matrices'}: ${typeList(allowed)})`,
      );
    }
    const [ne0, ne1] = expectedShape(slot, c);
    const dims = [...t.dims];
    while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
    const got1 = dims.length >= 2 ? dims[1] : 1;
    if (dims.length > 2 || dims[0] !== ne0 || got1 !== ne1) {
      throw new GGUFFormatError(
        `tensor '${t.name}' has dimensions [${t.dims.join(', ')}], but the model's metadata implies [${ne0}, ${ne1}]`,
      );
    }
    bindings.push({ tensor: t, layer, slot, ne0, ne1 });
  }

  const have = new Set(bindings.map((b) => `${b.layer}:${b.slot}`));
  const need: Array<[number, SlotId, string]> = [
    [-1, Slot.TOKEN_EMBD, 'token_embd.weight'],
    [-1, Slot.OUTPUT_NORM, 'output_norm.weight'],
  ];
  const graph = archGraph(gguf, c.architecture);
  for (let l = 0; l < c.blockCount; l++) {
    for (const [name, slot] of Object.entries(PER_LAYER)) need.push([l, slot, `blk.${l}.${name}.weight`]);
    for (const [name, slot] of Object.entries(OPTIONAL)) {
      const wanted = slot === Slot.ATTN_SUB_NORM || slot === Slot.FFN_SUB_NORM ? graph.subNorms : graph.qkvBias;
      if (wanted) need.push([l, slot, `blk.${l}.${name}`]);
    }
  }
  for (const [layer, slot, name] of need) {
    if (!have.has(`${layer}:${slot}`)) throw new GGUFFormatError(`the model has no '${name}' tensor (${SLOT_NAMES[slot]})`);
  }
  return { bindings, tiedOutput: !have.has(`-1:${Slot.OUTPUT}`), ropeFreqs };
}
