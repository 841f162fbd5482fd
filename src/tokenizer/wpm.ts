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
import { byteTokenValue, cleanSpaces, spaceMarkedBytes, TokenizerBase, type DecodeOptions } from './base.ts';
import { cpFlags, CP_CONTROL, CP_PUNCTUATION, CP_SYMBOL, CP_WHITESPACE } from './pretokenize.ts';

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

export class WpmTokenizer extends TokenizerBase {
  /** Ends with [SEP] (when the vocab has one) instead of EOS. */
  protected override closingToken(): number {
    return this.vocab.sepId;
  }

  protected override encodeText(s: string, _afterSpecial: boolean, out: number[]): void {
    for (const w of wpmWords(s)) this.encodeWord(w, out);
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

  protected override normalPiece(text: string): Uint8Array {
    return spaceMarkedBytes(text);
  }

  protected override bytePiece(text: string): Uint8Array {
    return byteTokenValue(text);
  }

  /** Every token's piece (no BOS / EOS removal, no space-prefix removal), then llama.cpp's clean_spaces pass. */
  override decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    return cleanSpaces(this.joinPieces(ids, 0, ids.length, !(opts.skipSpecial ?? true), false));
  }
}
