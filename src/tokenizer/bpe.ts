/**
 * Byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = "gpt2"`), written to give the same
 * ids as llama.cpp's BPE tokenizer (src/llama-vocab.cpp, llm_tokenizer_bpe_session):
 *
 * 1. Special-token partition (shared with the SPM tokenizer, see special.ts).
 * 2. Each text fragment is split into words by the pre-tokenizer `tokenizer.ggml.pre`
 *    selects (pretokenize.ts).
 * 3. Each word's UTF-8 bytes are written with GPT-2's byte → character table (printable
 *    bytes stand for themselves, the others for U+0100...), one symbol per byte.
 * 4. Adjacent symbols are merged by `tokenizer.ggml.merges`: always the pair with the lowest
 *    merge rank, the leftmost one on ties, until no pair has a rank. With `ignoreMerges`
 *    (Llama 3, Tekken) a word that is itself a token is taken whole.
 * 5. A final symbol that is no token contributes the tokens of its single ASCII bytes, if
 *    any (llama.cpp's fallback; with a complete byte alphabet it never happens).
 * 6. BOS / EOS around everything when `addSpecial` and the vocab asks for them.
 *
 * Decoding follows llama.cpp's detokenize: normal tokens map characters back to bytes,
 * user-defined tokens render their text, control / unknown tokens render nothing unless
 * `skipSpecial: false`, other token types nothing; then, when the pre-tokenizer asks for
 * it (`cleanSpaces`, e.g. gpt-2 and falcon but not deepseek or qwen2), llama.cpp's
 * clean-up passes remove the space before " ?", " !", " .", " ,", around " ' " and before
 * " 's", " 'm", " 're", " 've". That clean-up is lossy and works across tokens, so the
 * StreamingDetokenizer (token by token) gives the text without it.
 */
import { UnsupportedModelError } from '../errors.ts';
import type { GGUFFile } from '../gguf/types.ts';
import { cleanSpaces, TokenizerBase, utf8Encoder, type DecodeOptions } from './base.ts';
import { PreTokenizer, preTokenizerSpec, type PreTokenizerSpec } from './pretokenize.ts';
import { PairTable } from './spm.ts';
import { vocabFromGGUF, type Vocab } from './vocab.ts';

export { cleanSpaces } from './base.ts';

export interface BpeDecodeOptions extends DecodeOptions {
  /** Apply llama.cpp's clean_spaces passes. Default: what the pre-tokenizer asks for. */
  cleanSpaces?: boolean;
}

const WORD_CACHE_LIMIT = 1 << 16;

/** GPT-2's byte → character table and its inverse. */
function byteTables(): { byteChar: string[]; charByte: Map<number, number> } {
  const byteChar: string[] = new Array(256);
  const charByte = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const cp = printable ? b : 256 + extra++;
    byteChar[b] = String.fromCharCode(cp);
    charByte.set(cp, b);
  }
  return { byteChar, charByte };
}
const { byteChar: BYTE_CHAR, charByte: CHAR_BYTE } = byteTables();

/** Bytes as GPT-2 characters ("Ġ" for a space, ...). */
export function bytesToBpeText(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_CHAR[bytes[i]];
  return s;
}

export class BpeTokenizer extends TokenizerBase {
  readonly preTokenizer: PreTokenizer;
  readonly cleanSpaces: boolean;
  readonly ignoreMerges: boolean;
  /** Texts of symbols that are no token (merge parts, odd byte characters); ids nVocab + index. */
  private readonly extraTexts: string[] = [];
  private readonly extraIds = new Map<string, number>();
  /** (left symbol, right symbol) → merge rank. */
  private readonly ranks = new PairTable();
  /** Symbol of the merged pair, per rank. */
  private readonly mergedSym: Int32Array;
  /** Symbol for each byte value. */
  private readonly byteSym = new Int32Array(256);
  private wordCache = new Map<string, number[]>();

  // merge scratch
  private sym = new Int32Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private alive = new Uint8Array(64);
  private hRank = new Int32Array(64);
  private hLeft = new Int32Array(64);
  private hRight = new Int32Array(64);
  private hLs = new Int32Array(64);
  private hRs = new Int32Array(64);
  private hN = 0;

  /**
   * @param vocab the vocabulary (model "gpt2")
   * @param merges `tokenizer.ggml.merges`: "left right" per entry, lowest rank first
   * @param spec pre-tokenizer; default: from `vocab.pre`
   */
  constructor(vocab: Vocab, merges: readonly string[], spec: PreTokenizerSpec = preTokenizerSpec(vocab.pre)) {
    super(vocab);
    this.preTokenizer = new PreTokenizer(spec);
    this.cleanSpaces = spec.cleanSpaces;
    this.ignoreMerges = spec.ignoreMerges;

    for (let b = 0; b < 256; b++) this.byteSym[b] = this.intern(BYTE_CHAR[b]);
    this.mergedSym = new Int32Array(merges.length).fill(-1);
    for (let r = 0; r < merges.length; r++) {
      const m = merges[r];
      if (typeof m !== 'string') continue;
      // llama.cpp: split at the first space after the first character; no space → an empty pair.
      const pos = m.indexOf(' ', 1);
      const first = pos >= 0 ? m.slice(0, pos) : '';
      const second = pos >= 0 ? m.slice(pos + 1) : '';
      const a = this.intern(first), b = this.intern(second);
      if (this.ranks.get(a, b, -1) >= 0) continue; // the first rank wins
      this.ranks.set(a, b, r);
      this.mergedSym[r] = this.intern(first + second);
    }
  }

  private intern(text: string): number {
    const id = this.idOf.get(text);
    if (id !== undefined) return id;
    let x = this.extraIds.get(text);
    if (x === undefined) {
      x = this.nVocab + this.extraTexts.length;
      this.extraTexts.push(text);
      this.extraIds.set(text, x);
    }
    return x;
  }

  private symText(id: number): string {
    return id < this.nVocab ? this.vocab.tokens[id] : this.extraTexts[id - this.nVocab];
  }

  // ---------------------------------------------------------------- encoding

  protected override encodeText(s: string, _afterSpecial: boolean, out: number[]): void {
    for (const word of this.preTokenizer.split(s)) this.encodeWord(word, out);
  }

  /** Token ids of one pre-tokenized word (original characters), appended to `out`. */
  private encodeWord(word: string, out: number[]): void {
    const cache = this.wordCache;
    const hit = cache.get(word);
    if (hit !== undefined) {
      for (let k = 0; k < hit.length; k++) out.push(hit[k]);
      return;
    }
    const bytes = utf8Encoder.encode(word);
    const ids: number[] = [];
    let whole = -1;
    if (this.ignoreMerges) {
      const t = this.idOf.get(bytesToBpeText(bytes));
      if (t !== undefined) whole = t;
    }
    if (whole >= 0) ids.push(whole);
    else this.mergeBytes(bytes, ids);
    if (word.length <= 256) {
      if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
      cache.set(word, ids);
    }
    for (let k = 0; k < ids.length; k++) out.push(ids[k]);
  }

  private ensure(n: number): void {
    if (this.sym.length >= n) return;
    const cap = Math.max(n, this.sym.length * 2);
    this.sym = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.alive = new Uint8Array(cap);
    this.hRank = new Int32Array(cap);
    this.hLeft = new Int32Array(cap);
    this.hRight = new Int32Array(cap);
    this.hLs = new Int32Array(cap);
    this.hRs = new Int32Array(cap);
  }

  /** Heap of candidate merges ordered by (rank, left index); entries are checked when popped. */
  private push(l: number, r: number): void {
    if (l < 0 || r < 0) return;
    const ls = this.sym[l], rs = this.sym[r];
    const rank = this.ranks.get(ls, rs, -1);
    if (rank < 0) return;
    if (this.hN >= this.hRank.length) this.growHeap();
    const hr = this.hRank, hl = this.hLeft;
    let i = this.hN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (hr[p] < rank || (hr[p] === rank && hl[p] < l)) break;
      hr[i] = hr[p]; hl[i] = hl[p]; this.hRight[i] = this.hRight[p]; this.hLs[i] = this.hLs[p]; this.hRs[i] = this.hRs[p];
      i = p;
    }
    hr[i] = rank; hl[i] = l; this.hRight[i] = r; this.hLs[i] = ls; this.hRs[i] = rs;
  }

  private growHeap(): void {
    const cap = this.hRank.length * 2;
    const g = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
    this.hRank = g(this.hRank); this.hLeft = g(this.hLeft); this.hRight = g(this.hRight); this.hLs = g(this.hLs); this.hRs = g(this.hRs);
  }

  private pop(): void {
    const n = --this.hN;
    if (n === 0) return;
    const hr = this.hRank, hl = this.hLeft, hR = this.hRight, a = this.hLs, b = this.hRs;
    const rank = hr[n], l = hl[n], r = hR[n], ls = a[n], rs = b[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const c2 = c + 1;
      if (c2 < n && (hr[c2] < hr[c] || (hr[c2] === hr[c] && hl[c2] < hl[c]))) c = c2;
      if (rank < hr[c] || (rank === hr[c] && l < hl[c])) break;
      hr[i] = hr[c]; hl[i] = hl[c]; hR[i] = hR[c]; a[i] = a[c]; b[i] = b[c];
      i = c;
    }
    hr[i] = rank; hl[i] = l; hR[i] = r; a[i] = ls; b[i] = rs;
  }

  private mergeBytes(bytes: Uint8Array, ids: number[]): void {
    const n = bytes.length;
    if (n === 0) return;
    this.ensure(n);
    const sym = this.sym, prev = this.prev, next = this.next, alive = this.alive;
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteSym[bytes[i]];
      prev[i] = i - 1;
      next[i] = i + 1;
      alive[i] = 1;
    }
    next[n - 1] = -1;
    this.hN = 0;
    for (let i = 1; i < n; i++) this.push(i - 1, i);
    while (this.hN > 0) {
      const rank = this.hRank[0], l = this.hLeft[0], r = this.hRight[0], ls = this.hLs[0], rs = this.hRs[0];
      this.pop();
      if (!alive[l] || !alive[r] || sym[l] !== ls || sym[r] !== rs) continue; // outdated
      sym[l] = this.mergedSym[rank];
      alive[r] = 0;
      const nr = next[r];
      next[l] = nr;
      if (nr >= 0) prev[nr] = l;
      this.push(prev[l], l);
      this.push(l, nr);
    }
    for (let i = 0; i !== -1; i = next[i]) {
      const s = sym[i];
      if (s < this.nVocab) { ids.push(s); continue; }
      // No such token: the tokens of its single (ASCII) bytes, where they exist.
      const t = this.symText(s);
      for (let j = 0; j < t.length; j++) {
        const c = t.charCodeAt(j);
        if (c < 0x80) {
          const id = this.idOf.get(t[j]);
          if (id !== undefined) ids.push(id);
        }
      }
    }
  }

  // ---------------------------------------------------------------- decoding

  protected override normalPiece(text: string): Uint8Array {
    return decodeBpeText(text);
  }

  /** As the other tokenizers, then llama.cpp's clean-up passes when asked (see the file comment). */
  override decodeBytes(ids: ArrayLike<number>, opts: BpeDecodeOptions = {}): Uint8Array {
    const bytes = super.decodeBytes(ids, opts);
    return (opts.cleanSpaces ?? this.cleanSpaces) ? cleanSpaces(bytes) : bytes;
  }

  override decode(ids: ArrayLike<number>, opts: BpeDecodeOptions = {}): string {
    return super.decode(ids, opts);
  }
}

/** A normal token's text back to bytes (llama.cpp's llama_decode_text). */
export function decodeBpeText(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = CHAR_BYTE.get(ch.codePointAt(0)!);
    if (b !== undefined) { out.push(b); continue; }
    // Not a GPT-2 byte character: llama.cpp writes a marker with the character and the whole text.
    let hex = '';
    for (const x of utf8Encoder.encode(ch)) hex += x.toString(16).padStart(2, '0');
    for (const x of utf8Encoder.encode(`[UNK_BYTE_0x${hex}${text}]`)) out.push(x);
  }
  return Uint8Array.from(out);
}

/** Builds a BpeTokenizer from a GGUF file: vocab, merges and the pre-tokenizer llama.cpp would pick. */
export function bpeTokenizerFromGGUF(file: GGUFFile): BpeTokenizer {
  const vocab = vocabFromGGUF(file);
  const merges = file.metadata.get('tokenizer.ggml.merges');
  if (!Array.isArray(merges) || (merges.length > 0 && typeof merges[0] !== 'string')) {
    throw new UnsupportedModelError('The GGUF file has a BPE tokenizer without merges (tokenizer.ggml.merges is missing)');
  }
  const spec = preTokenizerSpec(vocab.pre);
  // llama.cpp turns add_bos on for some pre-tokenizers (Llama 3, Tekken) unless the file says otherwise.
  if (spec.addBos !== undefined && file.metadata.get('tokenizer.ggml.add_bos_token') === undefined) vocab.addBos = spec.addBos;
  return new BpeTokenizer(vocab, merges as string[], spec);
}
