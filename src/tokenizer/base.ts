/**
 * What the SPM, BPE and WPM tokenizers share: the options, the encode frame (special-token
 * partition, BOS / closing token around the fragments), token pieces and llama.cpp's
 * detokenize rules. Each tokenizer supplies how a text fragment becomes ids
 * (`encodeText`) and how a normal token's text becomes bytes (`normalPiece`).
 */
import { InvalidArgumentError } from '../errors.ts';
import { partitionSpecial, specialTokenOrder, wellFormed } from './special.ts';
import { TokenType, type Vocab } from './vocab.ts';

export interface EncodeOptions {
  /** Add BOS / EOS as the vocab asks (tokenizer.ggml.add_bos_token / add_eos_token). Default true. */
  addSpecial?: boolean;
  /** Recognise control-token texts such as "<s>" in the input. Default false. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Render control and unknown tokens as "" (default true); false renders their text. */
  skipSpecial?: boolean;
  /** Drop a leading BOS / trailing EOS when the vocab adds them (llama.cpp's remove_special). Default false. */
  removeSpecial?: boolean;
}

export interface TokenBytesOptions {
  /** Give control and unknown tokens their text instead of nothing. Default false. */
  special?: boolean;
}

export const EMPTY = new Uint8Array(0);
export const utf8Encoder = new TextEncoder();

export abstract class TokenizerBase {
  readonly vocab: Vocab;
  protected readonly nVocab: number;
  /** Token text → its first id. */
  protected readonly idOf = new Map<string, number>();
  /** Length (UTF-16 units) of the longest token text. */
  protected readonly maxTokenLen: number;
  /** Control / user-defined / unknown tokens, longest UTF-8 text first. */
  protected readonly specialTokens: number[];
  private readonly pieces: (Uint8Array | undefined)[];
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(vocab: Vocab) {
    this.vocab = vocab;
    const { tokens } = vocab;
    this.nVocab = tokens.length;
    let maxLen = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!this.idOf.has(t)) this.idOf.set(t, i);
      if (t.length > maxLen) maxLen = t.length;
    }
    this.maxTokenLen = maxLen;
    this.specialTokens = specialTokenOrder(vocab);
    this.pieces = new Array(tokens.length);
  }

  get bosId(): number { return this.vocab.bosId; }
  get eosId(): number { return this.vocab.eosId; }
  /** True when `id` ends generation (EOS, EOT, ...). */
  isEog(id: number): boolean { return this.vocab.eogIds.has(id); }

  // ---------------------------------------------------------------- encoding

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('encode() expects a string');
    const addSpecial = opts.addSpecial ?? true;
    const parseSpecial = opts.parseSpecial ?? false;
    const v = this.vocab;
    const out: number[] = [];
    text = wellFormed(text);
    if (addSpecial && v.addBos && v.bosId >= 0) out.push(v.bosId);
    const frags = text.length > 0 ? partitionSpecial(text, v, this.specialTokens, parseSpecial) : [];
    let afterSpecial = true;
    for (const f of frags) {
      if (f.tok >= 0) {
        out.push(f.tok);
        afterSpecial = true;
        continue;
      }
      const s = f.start === 0 && f.end === text.length ? text : text.slice(f.start, f.end);
      this.encodeText(s, afterSpecial, out);
      afterSpecial = false;
    }
    if (addSpecial) {
      const end = this.closingToken();
      if (end >= 0) out.push(end);
    }
    return out;
  }

  /** Appends the ids of one text fragment; `afterSpecial`: it is the first or follows a special token. */
  protected abstract encodeText(s: string, afterSpecial: boolean, out: number[]): void;

  /** The token `addSpecial` puts at the end, or -1: EOS when the vocab adds it. */
  protected closingToken(): number {
    return this.vocab.addEos ? this.vocab.eosId : -1;
  }

  // ---------------------------------------------------------------- decoding

  protected checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.nVocab) {
      throw new InvalidArgumentError(`token id ${id} is out of range (vocab size ${this.nVocab})`);
    }
  }

  /** The bytes of a normal token's text. */
  protected abstract normalPiece(text: string): Uint8Array;

  /** The bytes of a byte token ("<0xXX>"); none unless the tokenizer has byte tokens. */
  protected bytePiece(_text: string): Uint8Array {
    return EMPTY;
  }

  /** The bytes of a token's piece with special = true (cached; never handed out). */
  private piece(id: number): Uint8Array {
    let p = this.pieces[id];
    if (p === undefined) {
      const text = this.vocab.tokens[id];
      switch (this.vocab.types[id]) {
        case TokenType.CONTROL:
        case TokenType.UNKNOWN:
        case TokenType.USER_DEFINED:
          p = utf8Encoder.encode(text);
          break;
        case TokenType.NORMAL:
          p = this.normalPiece(text);
          break;
        case TokenType.BYTE:
          p = this.bytePiece(text);
          break;
        default:
          p = EMPTY; // unused / undefined tokens render as nothing
      }
      this.pieces[id] = p;
    }
    return p;
  }

  private pieceFor(id: number, special: boolean): Uint8Array {
    if (!special) {
      const t = this.vocab.types[id];
      if (t === TokenType.CONTROL || t === TokenType.UNKNOWN) return EMPTY;
    }
    return this.piece(id);
  }

  /** The bytes one token contributes to the output (a fresh copy). */
  tokenBytes(id: number, opts: TokenBytesOptions = {}): Uint8Array {
    this.checkId(id);
    return this.pieceFor(id, opts.special ?? false).slice();
  }

  /** The pieces of ids[begin, end) joined; with `removeSpace`, the first piece loses one leading space. */
  protected joinPieces(ids: ArrayLike<number>, begin: number, end: number, special: boolean, removeSpace: boolean): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = begin; i < end; i++) {
      const id = ids[i];
      this.checkId(id);
      let p = this.pieceFor(id, special);
      if (removeSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      removeSpace = false;
      parts.push(p);
      total += p.length;
    }
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    return bytes;
  }

  /** Token ids to bytes, with llama.cpp's detokenize rules (`llama_detokenize(remove_special, unparse_special)`). */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    const special = !(opts.skipSpecial ?? true);
    const v = this.vocab;
    let begin = 0;
    let end = ids.length;
    let removeSpace = v.addSpacePrefix;
    if (opts.removeSpecial && v.addBos && end > 0 && ids[0] === v.bosId) {
      removeSpace = false;
      begin = 1;
    }
    if (opts.removeSpecial && v.addEos && end > begin && ids[end - 1] === v.eosId) end--;
    return this.joinPieces(ids, begin, end, special, removeSpace);
  }

  /** Token ids to text; bytes that are not valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return this.decoder.decode(this.decodeBytes(ids, opts));
  }
}

/** A SentencePiece-style token's text as bytes: "▁" stands for a space (SPM and WPM vocabularies). */
export function spaceMarkedBytes(text: string): Uint8Array {
  return utf8Encoder.encode(text.replaceAll('\u2581', ' '));
}

/** A byte token's value (llama.cpp: strtol over the two characters after "<0x"). */
export function byteTokenValue(text: string): Uint8Array {
  const m = /^[0-9a-fA-F]{1,2}/.exec(text.substr(3, 2));
  return Uint8Array.of(m ? parseInt(m[0], 16) : 0);
}

/** llama.cpp's clean_spaces passes over detokenized bytes (in place on a copy, as llama.cpp does on its buffer). */
export function cleanSpaces(bytes: Uint8Array): Uint8Array {
  const SP = 0x20, Q = 0x27;
  const a = bytes.slice();
  // 1: " ?", " !", " .", " ," lose the space
  let len = a.length;
  let total = len ? 1 : 0;
  for (let i = 1; i < len; i++) {
    const x = a[i];
    if (a[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    a[total++] = x;
  }
  // 2: " ' " becomes "'"
  len = total;
  total = len ? 1 : 0;
  for (let i = 1; i < len; i++) {
    const x = a[i];
    if (x === Q && i + 1 < len && a[i - 1] === SP && a[i + 1] === SP) {
      total--;
      a[++i] = 0;
    }
    a[total++] = x;
  }
  // 3: " 's", " 'm", " 're", " 've" lose the space
  len = total;
  total = len ? 1 : 0;
  for (let i = 1; i < len; i++) {
    const x = a[i];
    if (a[i - 1] === SP && x === Q && i + 1 < len) {
      const x1 = a[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) total--;
      else if (i + 2 < len) {
        const x2 = a[i + 2];
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--;
      }
    }
    a[total++] = x;
  }
  return a.slice(0, total);
}
