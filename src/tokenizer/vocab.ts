/**
 * Tokenizer vocabulary as plain data, plus the code that builds it from GGUF
 * metadata (the `tokenizer.ggml.*` keys) with the defaults and load-time fixes
 * llama.cpp applies (src/llama-vocab.cpp, `llama_vocab::impl::load`).
 *
 * Token ids that are absent are -1 (llama.cpp's LLAMA_TOKEN_NULL).
 */
import { GGUFFormatError, UnsupportedModelError } from '../errors.ts';
import type { GGUFFile, GGUFValue } from '../gguf/types.ts';

/** llama.cpp's token types (gguf `tokenizer.ggml.token_type`, enum llama_token_type). */
export const TokenType = {
  UNDEFINED: 0,
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

export interface Vocab {
  /** tokenizer.ggml.model ("llama", "gpt2", ...). */
  model: string;
  /** tokenizer.ggml.pre ("default" when absent). */
  pre: string;
  /** Token texts as stored (SentencePiece pieces use "▁" for a space); empty texts are renamed "[EMPTY_<id>]" as llama.cpp does. */
  tokens: string[];
  scores: Float32Array;
  /**
   * Effective token types (see TokenType), after llama.cpp's load-time fixes:
   * tokens whose text marks them as end-of-generation / FIM tokens are forced
   * to CONTROL, a few gpt-oss tokens to USER_DEFINED.
   */
  types: Int32Array;
  bosId: number;
  eosId: number;
  eotId: number;
  eomId: number;
  unkId: number;
  sepId: number;
  padId: number;
  maskId: number;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  /** Ids that end generation (EOS, EOT, EOM, FIM pad/rep/sep and tokens recognised by text). */
  eogIds: Set<number>;
  /** Special tokens that swallow whitespace to their left / right when split out of the text. */
  lstripIds: Set<number>;
  rstripIds: Set<number>;
}

/** Plain-data description of a vocabulary; everything but `tokens` is optional. */
export interface VocabInit {
  model?: string;
  pre?: string;
  tokens: string[];
  scores?: ArrayLike<number>;
  types?: ArrayLike<number>;
  bosId?: number;
  eosId?: number;
  eotId?: number;
  eomId?: number;
  unkId?: number;
  sepId?: number;
  padId?: number;
  maskId?: number;
  fimPreId?: number;
  fimSufId?: number;
  fimMidId?: number;
  fimPadId?: number;
  fimRepId?: number;
  fimSepId?: number;
  addBos?: boolean;
  addEos?: boolean;
  addSpacePrefix?: boolean;
  /** general.name; llama.cpp gives Phi-3 special tokens rstrip behaviour based on it. */
  modelName?: string;
}

const NULL_ID = -1;

// Texts llama.cpp uses to recognise special tokens when the GGUF file does not name them.
const EOT_TEXTS = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>',
  '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>',
];
const EOM_TEXTS = ['<|eom_id|>'];
const FIM_PRE_TEXTS = ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'];
const FIM_SUF_TEXTS = ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'];
const FIM_MID_TEXTS = ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'];
const FIM_PAD_TEXTS = ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'];
const FIM_REP_TEXTS = ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'];
const FIM_SEP_TEXTS = ['<|file_sep|>'];
const EOG_TEXTS = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>',
  '<|endoftext|>', '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>',
  '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
];
const ALWAYS_RENDERED_TEXTS = ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>'];

interface Defaults {
  bos: number; eos: number; unk: number; sep: number; pad: number; mask: number;
  addBos: boolean; addEos: boolean; addSpacePrefix: boolean;
}

/** llama.cpp's defaults per tokenizer model (only "llama" is built here; others follow llama.cpp for later use). */
function defaultsFor(model: string): Defaults {
  switch (model) {
    case 'llama':
      return { bos: 1, eos: 2, unk: 0, sep: NULL_ID, pad: NULL_ID, mask: NULL_ID, addBos: true, addEos: false, addSpacePrefix: true };
    case 'bert':
      return { bos: 101, eos: NULL_ID, unk: 100, sep: 102, pad: 0, mask: 103, addBos: true, addEos: false, addSpacePrefix: false };
    case 'gpt2':
      return { bos: 11, eos: 11, unk: NULL_ID, sep: NULL_ID, pad: NULL_ID, mask: NULL_ID, addBos: false, addEos: false, addSpacePrefix: false };
    default:
      return { bos: 1, eos: 2, unk: 0, sep: NULL_ID, pad: NULL_ID, mask: NULL_ID, addBos: false, addEos: false, addSpacePrefix: false };
  }
}

/** Checks a special-token id against the vocab size the way llama.cpp does: out of range → keep the fallback. */
function pickId(value: number | undefined, fallback: number, n: number): number {
  const fb = fallback >= 0 && fallback >= n ? NULL_ID : fallback;
  if (value === undefined || !Number.isInteger(value)) return fb;
  if (value < 0 || value >= n) return fb;
  return value;
}

/** Builds a Vocab from plain data, filling in what llama.cpp would (defaults of the "llama" model unless `model` says otherwise). */
export function createVocab(init: VocabInit): Vocab {
  const model = init.model ?? 'llama';
  const d = defaultsFor(model);
  const n = init.tokens.length;

  let tokens = init.tokens;
  for (let i = 0; i < n; i++) {
    if (tokens[i] === '' || tokens[i] === undefined) {
      if (tokens === init.tokens) tokens = init.tokens.slice();
      tokens[i] = `[EMPTY_${i}]`;
    }
  }

  const scores = new Float32Array(n);
  if (init.scores) {
    if (init.scores.length < n) throw new GGUFFormatError(`tokenizer scores: ${init.scores.length} entries for ${n} tokens`);
    for (let i = 0; i < n; i++) scores[i] = init.scores[i];
  }
  const types = new Int32Array(n).fill(TokenType.NORMAL);
  if (init.types) {
    if (init.types.length < n) throw new GGUFFormatError(`tokenizer token types: ${init.types.length} entries for ${n} tokens`);
    for (let i = 0; i < n; i++) {
      const t = init.types[i];
      types[i] = t >= TokenType.NORMAL && t <= TokenType.BYTE ? t : TokenType.UNDEFINED;
    }
  }

  const bosId = pickId(init.bosId, d.bos, n);
  const eosId = pickId(init.eosId, d.eos, n);
  const unkId = pickId(init.unkId, d.unk, n);
  const sepId = pickId(init.sepId, d.sep, n);
  const padId = pickId(init.padId, d.pad, n);
  const maskId = pickId(init.maskId, d.mask, n);

  // First id per text (llama.cpp refuses duplicate texts; we keep the first).
  const idOf = new Map<string, number>();
  for (let i = 0; i < n; i++) if (!idOf.has(tokens[i])) idOf.set(tokens[i], i);
  // llama.cpp takes whichever candidate its hash map yields first; we take the first text in list order.
  const findFirst = (texts: string[]): number => {
    for (const t of texts) {
      const id = idOf.get(t);
      if (id !== undefined) return id;
    }
    return NULL_ID;
  };
  const forceControl = (id: number) => { if (id >= 0) types[id] = TokenType.CONTROL; };
  // The id given, else auto-detection of an unnamed special token by its text (forced to CONTROL).
  const givenOrFound = (given: number | undefined, texts: string[]): number => {
    let id = pickId(given, NULL_ID, n);
    if (id < 0) { id = findFirst(texts); forceControl(id); }
    return id;
  };
  const eotId = givenOrFound(init.eotId, EOT_TEXTS);
  const eomId = givenOrFound(init.eomId, EOM_TEXTS);
  const fimPre = givenOrFound(init.fimPreId, FIM_PRE_TEXTS);
  const fimSuf = givenOrFound(init.fimSufId, FIM_SUF_TEXTS);
  const fimMid = givenOrFound(init.fimMidId, FIM_MID_TEXTS);
  const fimPad = givenOrFound(init.fimPadId, FIM_PAD_TEXTS);
  const fimRep = givenOrFound(init.fimRepId, FIM_REP_TEXTS);
  const fimSep = givenOrFound(init.fimSepId, FIM_SEP_TEXTS);

  const eogIds = new Set<number>();
  for (const id of [fimPad, fimRep, fimSep]) if (id >= 0) eogIds.add(id);
  for (const t of EOG_TEXTS) {
    const id = idOf.get(t);
    if (id !== undefined) { eogIds.add(id); forceControl(id); }
  }
  for (const t of ALWAYS_RENDERED_TEXTS) {
    const id = idOf.get(t);
    if (id !== undefined) types[id] = TokenType.USER_DEFINED;
  }
  for (const id of [eosId, eotId, eomId]) if (id >= 0) eogIds.add(id);

  // Workarounds llama.cpp applies to gpt-oss / solar-open ("<|end|>" is not EOG there) and gemma4 ("</s>").
  const eogWith = (text: string) => { const id = idOf.get(text); return id !== undefined && eogIds.has(id) ? id : NULL_ID; };
  const endId = eogWith('<|end|>');
  if (endId >= 0) {
    const ret = eogWith('<|return|>') >= 0, call = eogWith('<|call|>') >= 0 || eogWith('<|calls|>') >= 0, flush = eogWith('<|flush|>') >= 0;
    if ((ret && call) || (call && flush)) { eogIds.delete(endId); types[endId] = TokenType.USER_DEFINED; }
  }
  const sId = eogWith('</s>');
  if (sId >= 0 && eogWith('<|tool_response>') >= 0) { eogIds.delete(sId); types[sId] = TokenType.NORMAL; }

  // Phi-3: special tokens eat the whitespace that follows them.
  const lstripIds = new Set<number>();
  const rstripIds = new Set<number>();
  const name = (init.modelName ?? '').toLowerCase();
  if (name.includes('phi-3') || name.includes('phi3')) {
    for (let i = 0; i < n; i++) {
      const t = types[i];
      if (t === TokenType.CONTROL || t === TokenType.USER_DEFINED || t === TokenType.UNKNOWN) rstripIds.add(i);
    }
    const s = idOf.get('</s>');
    if (s !== undefined) rstripIds.add(s);
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) {
      const id = idOf.get(t);
      if (id !== undefined) rstripIds.delete(id);
    }
  }

  return {
    model, pre: init.pre ?? 'default', tokens, scores, types,
    bosId, eosId, eotId, eomId, unkId, sepId, padId, maskId,
    addBos: init.addBos ?? d.addBos,
    addEos: init.addEos ?? d.addEos,
    addSpacePrefix: init.addSpacePrefix ?? d.addSpacePrefix,
    eogIds, lstripIds, rstripIds,
  };
}

// ---- GGUF metadata access ----

function asNumber(v: GGUFValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function asBool(v: GGUFValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return undefined;
}

function asString(v: GGUFValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function asNumberArray(key: string, v: GGUFValue | undefined): ArrayLike<number> | undefined {
  if (v === undefined) return undefined;
  if (ArrayBuffer.isView(v) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array) && !(v instanceof DataView)) {
    return v as ArrayLike<number>;
  }
  throw new GGUFFormatError(`${key} is not a numeric array`);
}

/** Reads `tokenizer.ggml.*` from a parsed GGUF file into a Vocab. */
export function vocabFromGGUF(file: GGUFFile): Vocab {
  const md = file.metadata;
  const get = (k: string) => md.get(`tokenizer.ggml.${k}`);
  const model = asString(get('model'));
  if (model === undefined) throw new UnsupportedModelError('The GGUF file has no tokenizer (tokenizer.ggml.model is missing)');
  const tokens = get('tokens');
  if (!Array.isArray(tokens) || (tokens.length > 0 && typeof tokens[0] !== 'string')) {
    throw new UnsupportedModelError('The GGUF file has no tokenizer vocabulary (tokenizer.ggml.tokens is missing or not a string array)');
  }
  const n = tokens.length;
  const prefer = (a: number | undefined, b: number | undefined) =>
    a !== undefined && Number.isInteger(a) && a >= 0 && a < n ? a : b;
  return createVocab({
    model,
    pre: asString(get('pre')),
    tokens: tokens as string[],
    scores: asNumberArray('tokenizer.ggml.scores', get('scores')),
    types: asNumberArray('tokenizer.ggml.token_type', get('token_type')),
    bosId: asNumber(get('bos_token_id')),
    eosId: asNumber(get('eos_token_id')),
    eotId: asNumber(get('eot_token_id')),
    eomId: asNumber(get('eom_token_id')),
    unkId: asNumber(get('unknown_token_id')),
    sepId: asNumber(get('seperator_token_id')),
    padId: asNumber(get('padding_token_id')),
    maskId: asNumber(get('mask_token_id')),
    // llama.cpp reads the deprecated prefix/suffix/middle keys last, so a valid one wins.
    fimPreId: prefer(asNumber(get('prefix_token_id')), asNumber(get('fim_pre_token_id'))),
    fimSufId: prefer(asNumber(get('suffix_token_id')), asNumber(get('fim_suf_token_id'))),
    fimMidId: prefer(asNumber(get('middle_token_id')), asNumber(get('fim_mid_token_id'))),
    fimPadId: asNumber(get('fim_pad_token_id')),
    fimRepId: asNumber(get('fim_rep_token_id')),
    fimSepId: asNumber(get('fim_sep_token_id')),
    addBos: asBool(get('add_bos_token')),
    addEos: asBool(get('add_eos_token')),
    addSpacePrefix: asBool(get('add_space_prefix')),
    modelName: asString(md.get('general.name')),
  });
}
