/**
 * WordPiece tokenizer (GGUF `tokenizer.ggml.model = "bert"`), written to give the same ids
 * as llama.cpp's WPM tokenizer (src/llama-vocab.cpp, llm_tokenizer_wpm_session).
 *
 * GGUF BERT vocabularies store word-initial pieces with a leading "▁" and continuation
 * pieces ("##ing" in HF) without a prefix. Encoding:
 * 1. Special-token partition (special.ts).
 * 2. Each fragment is normalised and split into words: every code point is replaced by the
 *    first code point of its NFD decomposition (so accents are dropped) and lower-cased;
 *    whitespace separates words; control characters, NUL and U+FFFD are dropped;
 *    punctuation, ASCII symbols and CJK ideographs are words of their own.
 * 3. Each word, with "▁" in front, is cut greedily into the longest vocab tokens from the
 *    left; a word with a position where no token matches becomes one unknown token.
 * 4. With `addSpecial`: [CLS] (BOS) in front when the vocab adds BOS, [SEP] at the end.
 *
 * This normalisation loses case, accents and spacing, so decoding does not give the input
 * back. decode() follows llama.cpp: "▁" → " ", control tokens render as nothing unless
 * `skipSpecial: false`, then llama.cpp's clean_spaces pass.
 */
import { InvalidArgumentError } from '../errors.ts';
import { cleanSpaces } from './bpe.ts';
import { cpFlags, CP_CONTROL, CP_PUNCTUATION, CP_SYMBOL, CP_WHITESPACE } from './pretokenize.ts';
import { partitionSpecial, specialTokenOrder, wellFormed } from './special.ts';
import type { DecodeOptions, EncodeOptions, TokenBytesOptions } from './spm.ts';
import { TokenType, type Vocab } from './vocab.ts';

const EMPTY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();

const nfdFirst = new Map<number, number>();
/** First code point of the NFD form (llama.cpp's unicode_cpts_normalize_nfd). */
function nfd(cp: number): number {
  if (cp < 0xc0) return cp;
  let r = nfdFirst.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).normalize('NFD').codePointAt(0)!;
    nfdFirst.set(cp, r);
  }
  return r;
}

const lowerFirst = new Map<number, number>();
/** First code point of the lower-case form (llama.cpp's unicode_tolower). */
function lower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  let r = lowerFirst.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).toLowerCase().codePointAt(0)!;
    lowerFirst.set(cp, r);
  }
  return r;
}

function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) || // llama.cpp (after HF) starts this block at 0x2B920, not 0x2B820
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** Normalised words of a text fragment (llama.cpp's WPM preprocess). */
export function wpmWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const ch of text) {
    const cp = nfd(ch.codePointAt(0)!);
    const f = cpFlags(cp);
    if (f & CP_WHITESPACE) {
      if (cur) { words.push(cur); cur = ''; }
      continue;
    }
    if (cp === 0 || cp === 0xfffd || (f & CP_CONTROL)) continue;
    const s = String.fromCodePoint(lower(cp));
    if ((f & CP_PUNCTUATION) || (cp < 0x7f && (f & CP_SYMBOL)) || isChineseChar(cp)) {
      if (cur) words.push(cur);
      words.push(s);
      cur = '';
    } else {
      cur += s;
    }
  }
  if (cur) words.push(cur);
  return words;
}

export class WpmTokenizer {
  readonly vocab: Vocab;
  private readonly idOf = new Map<string, number>();
  private readonly maxTokenLen: number;
  private readonly specialTokens: number[];
  private readonly pieces: (Uint8Array | undefined)[];
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly cleanSpaces = true;

  constructor(vocab: Vocab) {
    this.vocab = vocab;
    let max = 0;
    for (let i = 0; i < vocab.tokens.length; i++) {
      const t = vocab.tokens[i];
      if (!this.idOf.has(t)) this.idOf.set(t, i);
      if (t.length > max) max = t.length;
    }
    this.maxTokenLen = max;
    this.specialTokens = specialTokenOrder(vocab);
    this.pieces = new Array(vocab.tokens.length);
  }

  get bosId(): number { return this.vocab.bosId; }
  get eosId(): number { return this.vocab.eosId; }
  isEog(id: number): boolean { return this.vocab.eogIds.has(id); }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('encode() expects a string');
    const addSpecial = opts.addSpecial ?? true;
    const v = this.vocab;
    const out: number[] = [];
    text = wellFormed(text);
    if (addSpecial && v.addBos && v.bosId >= 0) out.push(v.bosId);
    const frags = text.length > 0 ? partitionSpecial(text, v, this.specialTokens, opts.parseSpecial ?? false) : [];
    for (const f of frags) {
      if (f.tok >= 0) { out.push(f.tok); continue; }
      for (const w of wpmWords(text.slice(f.start, f.end))) this.encodeWord(w, out);
    }
    if (addSpecial && v.sepId >= 0) out.push(v.sepId);
    return out;
  }

  private encodeWord(word: string, out: number[]): void {
    const w = '\u2581' + word;
    const n = w.length;
    const start = out.length;
    for (let i = 0; i < n; ) {
      let found = -1;
      let j = Math.min(n, i + this.maxTokenLen);
      for (; j > i; j--) {
        const id = this.idOf.get(w.slice(i, j));
        if (id !== undefined) { found = id; break; }
      }
      if (found < 0) { out.length = start; break; }
      out.push(found);
      i = j;
    }
    if (out.length === start && this.vocab.unkId >= 0) out.push(this.vocab.unkId);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.tokens.length) {
      throw new InvalidArgumentError(`token id ${id} is out of range (vocab size ${this.vocab.tokens.length})`);
    }
  }

  private piece(id: number, special: boolean): Uint8Array {
    const t = this.vocab.types[id];
    if (t === TokenType.CONTROL || t === TokenType.UNKNOWN) return special ? utf8Encoder.encode(this.vocab.tokens[id]) : EMPTY;
    let p = this.pieces[id];
    if (p === undefined) {
      const text = this.vocab.tokens[id];
      if (t === TokenType.USER_DEFINED) p = utf8Encoder.encode(text);
      else if (t === TokenType.NORMAL) p = utf8Encoder.encode(text.replaceAll('\u2581', ' '));
      else if (t === TokenType.BYTE) {
        const m = /^[0-9a-fA-F]{1,2}/.exec(text.substr(3, 2));
        p = Uint8Array.of(m ? parseInt(m[0], 16) : 0);
      } else p = EMPTY;
      this.pieces[id] = p;
    }
    return p;
  }

  tokenBytes(id: number, opts: TokenBytesOptions = {}): Uint8Array {
    this.checkId(id);
    return this.piece(id, opts.special ?? false).slice();
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const special = !(opts.skipSpecial ?? true);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) {
      this.checkId(ids[i]);
      parts.push(this.piece(ids[i], special));
    }
    const total = parts.reduce((a, p) => a + p.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    return this.decoder.decode(this.cleanSpaces ? cleanSpaces(bytes) : bytes);
  }
}
