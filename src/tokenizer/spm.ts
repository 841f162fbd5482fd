/**
 * SentencePiece-style tokenizer (GGUF `tokenizer.ggml.model = "llama"`), written to give
 * the same ids as llama.cpp's SPM tokenizer (src/llama-vocab.cpp):
 *
 * 1. Special-token partition: control / user-defined / unknown token texts are split out
 *    of the input, longest text first. Control and unknown tokens only when `parseSpecial`;
 *    user-defined tokens always (as llama.cpp and HF tokenizers do).
 * 2. Each remaining text fragment gets a leading space when `addSpacePrefix` and it is the
 *    first fragment or follows a special token; every " " becomes "▁".
 * 3. The fragment is split into Unicode characters, and adjacent symbols are merged
 *    greedily: always the pair whose concatenation is a vocab token with the highest score,
 *    ties going to the leftmost pair (a binary heap over a linked list of symbols, as in
 *    llama.cpp).
 * 4. A final symbol that is not a token becomes its UTF-8 bytes as `<0xXX>` byte tokens.
 *    Where the vocab has no byte tokens (llama.cpp aborts there), the symbol becomes one
 *    unknown token.
 * 5. BOS / EOS are added around everything when `addSpecial` and the vocab asks for them.
 *
 * Decoding follows llama.cpp's `llama_detokenize(remove_special, unparse_special)`:
 * "▁" → " ", `<0xXX>` → that byte, control and unknown tokens render as "" unless
 * `skipSpecial: false`, and when the vocab adds a space prefix, one leading space is
 * removed from the first token's piece, unless the sequence starts with BOS (llama.cpp
 * keeps the space after a BOS; with `removeSpecial` it drops the BOS and still keeps it).
 */
import { byteTokenValue, spaceMarkedBytes, TokenizerBase, utf8Encoder, type EncodeOptions } from './base.ts';
import type { Vocab } from './vocab.ts';

export type { DecodeOptions, EncodeOptions, TokenBytesOptions } from './base.ts';

const SPACE_MARK = '\u2581';
const SEGMENT_CACHE_LIMIT = 1 << 16;
/** Runs up to this many characters are merged by scanning instead of with the heap (same result, faster). */
const SCAN_MERGE_MAX = 32;

/** Open-addressing hash map from a pair of non-negative int32 keys to an int32 value. */
export class PairTable {
  private keyA = new Int32Array(0);
  private keyB = new Int32Array(0);
  private val = new Int32Array(0);
  private shift = 32;
  size = 0;

  /** The value for (a, b), or `missing`. */
  get(a: number, b: number, missing: number): number {
    const ka = this.keyA;
    if (ka.length === 0) return missing;
    const mask = ka.length - 1;
    let h = Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) >>> this.shift;
    for (;;) {
      const x = ka[h];
      if (x === -1) return missing;
      if (x === a && this.keyB[h] === b) return this.val[h];
      h = (h + 1) & mask;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.keyA.length) this.grow();
    const ka = this.keyA;
    const mask = ka.length - 1;
    let h = Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) >>> this.shift;
    for (;;) {
      const x = ka[h];
      if (x === -1) break;
      if (x === a && this.keyB[h] === b) { this.val[h] = v; return; }
      h = (h + 1) & mask;
    }
    ka[h] = a;
    this.keyB[h] = b;
    this.val[h] = v;
    this.size++;
  }

  private grow(): void {
    const oldA = this.keyA, oldB = this.keyB, oldV = this.val;
    const cap = Math.max(1 << 10, oldA.length * 2);
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.shift = 32 - (31 - Math.clz32(cap));
    this.size = 0;
    for (let i = 0; i < oldA.length; i++) if (oldA[i] !== -1) this.set(oldA[i], oldB[i], oldV[i]);
  }
}

export class SpmTokenizer extends TokenizerBase {
  /** Byte-fallback token per byte value, -1 where the vocab has none. */
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly hasAllByteTokens: boolean;

  // Symbol ids: a token id, or (for a character that is not a token) nVocab + index into extraTexts.
  private bmpSym = new Int32Array(0x10000).fill(-1);
  private astralSym = new Map<number, number>();
  private extraTexts: string[] = [];

  // Memo of pair merges: (left symbol, right symbol) → token id of the concatenation, or -1.
  private memo = new PairTable();
  /**
   * Where the input may be cut. A symbol that ever covers two neighbouring characters x y is
   * a token containing them: the token "xy" itself, or one containing "wxy" or "xyz" with the
   * characters around them. Where none of these exists in the vocab no merge can cross, so
   * the text is cut there and each piece is merged on its own: the ids are the same as one
   * merge over the whole fragment, but every heap stays small and pieces can be cached.
   * `joinPairs`: (x, y) → (pair number << 1) | (1 if "xy" is a token), for pairs inside tokens;
   * `joinTriples`: (pair number of "xy", z) → 1 for triples inside tokens. Built on first use.
   */
  private joinPairs: PairTable | undefined;
  private joinTriples = new PairTable();
  private fragCp = new Int32Array(0);
  private fragOff = new Int32Array(0);
  /** Ids of recently seen segments (a segment's ids depend on its text only). */
  private segmentCache = new Map<string, number[]>();

  // Per-fragment scratch, grown as needed.
  private symStart = new Int32Array(0);
  private symLen = new Int32Array(0);
  private symPrev = new Int32Array(0);
  private symNext = new Int32Array(0);
  private symId = new Int32Array(0);
  private symPairTok = new Int32Array(0);
  private heapScore = new Float64Array(0);
  private heapLeft = new Int32Array(0);
  private heapRight = new Int32Array(0);
  private heapSize = new Int32Array(0);
  private heapTok = new Int32Array(0);
  private heapN = 0;

  constructor(vocab: Vocab) {
    super(vocab);
    const hex = '0123456789ABCDEF';
    let all = true;
    for (let b = 0; b < 256; b++) {
      let id = this.idOf.get(`<0x${hex[b >> 4]}${hex[b & 15]}>`);
      // llama.cpp falls back to a token that is the byte itself (only possible for ASCII here).
      if (id === undefined && b < 0x80) id = this.idOf.get(String.fromCharCode(b));
      if (id === undefined) all = false;
      else this.byteIds[b] = id;
    }
    this.hasAllByteTokens = all;
  }

  /** True when the vocab has a byte token for every byte value, so no input needs the unknown token. */
  get hasByteFallback(): boolean { return this.hasAllByteTokens; }

  // ---------------------------------------------------------------- encoding

  override encode(text: string, opts?: EncodeOptions): number[] {
    if (this.extraTexts.length > 1 << 20 || this.memo.size > 1 << 22) this.resetCaches();
    return super.encode(text, opts);
  }

  /** One fragment: a leading space when `addSpacePrefix` and it follows a special token (or starts), every " " as "▁". */
  protected override encodeText(s: string, afterSpecial: boolean, out: number[]): void {
    if (this.vocab.addSpacePrefix && afterSpecial) s = ' ' + s;
    this.encodeFragment(s.replaceAll(' ', SPACE_MARK), out);
  }

  private resetCaches(): void {
    this.bmpSym.fill(-1);
    this.astralSym.clear();
    this.extraTexts = [];
    this.memo = new PairTable();
    this.segmentCache.clear();
  }

  /** Symbol id of one code point (its token id, or a private id for a character that is not a token). */
  private charSym(cp: number, s: string, start: number, len: number): number {
    if (cp < 0x10000) {
      const id = this.bmpSym[cp];
      if (id >= 0) return id;
    } else {
      const id = this.astralSym.get(cp);
      if (id !== undefined) return id;
    }
    const text = s.substr(start, len);
    let id = this.idOf.get(text);
    if (id === undefined) {
      id = this.nVocab + this.extraTexts.length;
      this.extraTexts.push(text);
    }
    if (cp < 0x10000) this.bmpSym[cp] = id;
    else this.astralSym.set(cp, id);
    return id;
  }

  private symText(id: number): string {
    return id < this.nVocab ? this.vocab.tokens[id] : this.extraTexts[id - this.nVocab];
  }

  /** Token id of the concatenation of two symbols, or -1 (memoised). */
  private pairToken(a: number, b: number): number {
    let v = this.memo.get(a, b, -2);
    if (v === -2) {
      const id = this.idOf.get(this.symText(a) + this.symText(b));
      v = id === undefined ? -1 : id;
      this.memo.set(a, b, v);
    }
    return v;
  }

  private buildJoinTables(): PairTable {
    const pairs = new PairTable();
    const triples = this.joinTriples;
    let count = 0;
    const pair = (x: number, y: number) => {
      let v = pairs.get(x, y, 0);
      if (v === 0) {
        v = ++count << 1;
        pairs.set(x, y, v);
      }
      return v;
    };
    const cps: number[] = [];
    for (const t of this.vocab.tokens) {
      cps.length = 0;
      for (let i = 0; i < t.length; i++) {
        const cp = t.codePointAt(i)!;
        if (cp > 0xffff) i++;
        cps.push(cp);
      }
      for (let j = 1; j < cps.length; j++) pair(cps[j - 1], cps[j]);
      for (let j = 2; j < cps.length; j++) triples.set(pair(cps[j - 2], cps[j - 1]) >> 1, cps[j], 1);
      if (cps.length === 2) pairs.set(cps[0], cps[1], pair(cps[0], cps[1]) | 1);
    }
    return pairs;
  }

  private ensureSymbols(n: number): void {
    if (this.symStart.length >= n) return;
    const cap = Math.max(n, this.symStart.length * 2, 256);
    this.symStart = new Int32Array(cap);
    this.symLen = new Int32Array(cap);
    this.symPrev = new Int32Array(cap);
    this.symNext = new Int32Array(cap);
    this.symId = new Int32Array(cap);
    this.symPairTok = new Int32Array(cap);
  }

  private growHeap(): void {
    const cap = Math.max(256, this.heapLeft.length * 2);
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.heapScore = grow(this.heapScore, (n) => new Float64Array(n));
    this.heapLeft = grow(this.heapLeft, (n) => new Int32Array(n));
    this.heapRight = grow(this.heapRight, (n) => new Int32Array(n));
    this.heapSize = grow(this.heapSize, (n) => new Int32Array(n));
    this.heapTok = grow(this.heapTok, (n) => new Int32Array(n));
  }

  /** Queues the merge of symbols l and r if their concatenation is a token. */
  private tryAddBigram(l: number, r: number): void {
    if (l < 0 || r < 0) return;
    const size = this.symLen[l] + this.symLen[r];
    if (size > this.maxTokenLen) return;
    const tok = this.pairToken(this.symId[l], this.symId[r]);
    if (tok < 0) return;
    const score = this.vocab.scores[tok];
    // Max-heap on (score, then smaller left index); sift the new entry up.
    if (this.heapN >= this.heapLeft.length) this.growHeap();
    const hs = this.heapScore, hl = this.heapLeft;
    let i = this.heapN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = hs[p];
      if (ps > score || (ps === score && hl[p] < l)) break;
      hs[i] = ps;
      hl[i] = hl[p];
      this.heapRight[i] = this.heapRight[p];
      this.heapSize[i] = this.heapSize[p];
      this.heapTok[i] = this.heapTok[p];
      i = p;
    }
    hs[i] = score;
    hl[i] = l;
    this.heapRight[i] = r;
    this.heapSize[i] = size;
    this.heapTok[i] = tok;
  }

  /** Removes the top heap entry (the caller has read it). */
  private heapPop(): void {
    const n = --this.heapN;
    if (n === 0) return;
    const hs = this.heapScore, hl = this.heapLeft, hr = this.heapRight, hz = this.heapSize, ht = this.heapTok;
    const score = hs[n], l = hl[n], r = hr[n], z = hz[n], t = ht[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const c2 = c + 1;
      if (c2 < n && (hs[c2] > hs[c] || (hs[c2] === hs[c] && hl[c2] < hl[c]))) c = c2;
      if (score > hs[c] || (score === hs[c] && l < hl[c])) break;
      hs[i] = hs[c]; hl[i] = hl[c]; hr[i] = hr[c]; hz[i] = hz[c]; ht[i] = ht[c];
      i = c;
    }
    hs[i] = score; hl[i] = l; hr[i] = r; hz[i] = z; ht[i] = t;
  }

  /** SPM merge of one escaped fragment ("▁" for spaces), appending ids to `out`. */
  private encodeFragment(s: string, out: number[]): void {
    const len = s.length;
    if (len === 0) return;
    const pairs = (this.joinPairs ??= this.buildJoinTables());
    const triples = this.joinTriples;
    const cache = this.segmentCache;
    if (this.fragCp.length < len + 1) {
      this.fragCp = new Int32Array(Math.max(len + 1, this.fragCp.length * 2));
      this.fragOff = new Int32Array(this.fragCp.length);
    }
    const cps = this.fragCp, off = this.fragOff;
    let n = 0;
    for (let i = 0; i < len; ) {
      let cp = s.charCodeAt(i);
      let w = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < len) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) { cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000; w = 2; }
      }
      cps[n] = cp;
      off[n] = i;
      n++;
      i += w;
    }
    off[n] = len;

    // Cut where no token can cover both neighbours (see joinPairs); merge each piece.
    let segStart = 0;
    let prevPair = 0;
    for (let k = 1; k < n; k++) {
      const v = pairs.get(cps[k - 1], cps[k], 0);
      let cut = v === 0;
      if (!cut && (v & 1) === 0) {
        const left = prevPair !== 0 && triples.get(prevPair >> 1, cps[k], 0) === 1;
        const right = k + 1 < n && triples.get(v >> 1, cps[k + 1], 0) === 1;
        cut = !left && !right;
      }
      if (cut) {
        this.encodeSegment(s, off[segStart], off[k], cache, out);
        segStart = k;
      }
      prevPair = v;
    }
    this.encodeSegment(s, off[segStart], len, cache, out);
  }

  /** Encodes s[from, to), a run of characters with no cut inside, through the segment cache. */
  private encodeSegment(s: string, from: number, to: number, cache: Map<string, number[]>, out: number[]): void {
    const cacheable = to - from <= 64;
    let key = '';
    if (cacheable) {
      key = s.slice(from, to);
      const hit = cache.get(key);
      if (hit !== undefined) {
        for (let k = 0; k < hit.length; k++) out.push(hit[k]);
        return;
      }
    }
    const n0 = out.length;
    this.ensureSymbols(to - from);
    const start = this.symStart, slen = this.symLen, sid = this.symId;
    let n = 0;
    for (let i = from; i < to; ) {
      let cp = s.charCodeAt(i);
      let w = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < to) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) { cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000; w = 2; }
      }
      start[n] = i;
      slen[n] = w;
      sid[n] = this.charSym(cp, s, i, w);
      n++;
      i += w;
    }
    this.mergeSegment(0, n);
    for (let k = 0; k !== -1; k = this.symNext[k]) this.emitSymbol(s, k, out);
    if (cacheable) {
      if (cache.size >= SEGMENT_CACHE_LIMIT) cache.clear();
      cache.set(key, out.slice(n0));
    }
  }

  /** llama.cpp's merge loop over symbols [a, b): repeatedly merge the best-scoring adjacent pair that forms a token. */
  private mergeSegment(a: number, b: number): void {
    const slen = this.symLen, prev = this.symPrev, next = this.symNext, sid = this.symId;
    for (let i = a; i < b; i++) {
      prev[i] = i - 1;
      next[i] = i + 1;
    }
    prev[a] = -1;
    next[b - 1] = -1;
    if (b - a < 2) return;
    if (b - a <= SCAN_MERGE_MAX) {
      this.mergeByScan(a, b);
      return;
    }

    this.heapN = 0;
    for (let i = a + 1; i < b; i++) this.tryAddBigram(i - 1, i);

    while (this.heapN > 0) {
      const l = this.heapLeft[0], r = this.heapRight[0], size = this.heapSize[0], tok = this.heapTok[0];
      this.heapPop();
      if (slen[l] === 0 || slen[r] === 0 || slen[l] + slen[r] !== size) continue;
      slen[l] = size;
      slen[r] = 0;
      sid[l] = tok;
      const nr = next[r];
      next[l] = nr;
      if (nr >= 0) prev[nr] = l;
      this.tryAddBigram(prev[l], l);
      this.tryAddBigram(l, nr);
    }
  }

  /**
   * The same merge for short runs without the heap: the heap's next valid entry is always
   * the current adjacent pair with the highest score, leftmost on ties, so scan for it.
   */
  private mergeByScan(a: number, b: number): void {
    const slen = this.symLen, prev = this.symPrev, next = this.symNext, sid = this.symId;
    const pairTok = this.symPairTok;
    const scores = this.vocab.scores;
    for (let i = a; i < b - 1; i++) pairTok[i] = this.adjacentToken(i, i + 1);
    pairTok[b - 1] = -1;
    for (;;) {
      let best = -1;
      let bestScore = 0;
      for (let i = a; i !== -1; i = next[i]) {
        const t = pairTok[i];
        if (t >= 0) {
          const sc = scores[t];
          if (best < 0 || sc > bestScore) { best = i; bestScore = sc; }
        }
      }
      if (best < 0) return;
      const r = next[best];
      slen[best] += slen[r];
      slen[r] = 0;
      sid[best] = pairTok[best];
      const nr = next[r];
      next[best] = nr;
      if (nr >= 0) prev[nr] = best;
      pairTok[best] = nr >= 0 ? this.adjacentToken(best, nr) : -1;
      const p = prev[best];
      if (p >= 0) pairTok[p] = this.adjacentToken(p, best);
    }
  }

  /** Token formed by symbols l and r (neighbours), or -1. */
  private adjacentToken(l: number, r: number): number {
    if (this.symLen[l] + this.symLen[r] > this.maxTokenLen) return -1;
    return this.pairToken(this.symId[l], this.symId[r]);
  }

  /** Appends the id(s) for final symbol k. */
  private emitSymbol(s: string, k: number, out: number[]): void {
    const id = this.symId[k];
    if (id < this.nVocab) {
      out.push(id);
      return;
    }
    // A character that is no token: its UTF-8 bytes as byte tokens, else one unknown token.
    const bytes = utf8Encoder.encode(s.substr(this.symStart[k], this.symLen[k]));
    let ok = true;
    for (let j = 0; j < bytes.length; j++) if (this.byteIds[bytes[j]] < 0) { ok = false; break; }
    if (ok) for (let j = 0; j < bytes.length; j++) out.push(this.byteIds[bytes[j]]);
    else if (this.vocab.unkId >= 0) out.push(this.vocab.unkId);
  }

  // ---------------------------------------------------------------- decoding

  protected override normalPiece(text: string): Uint8Array {
    return spaceMarkedBytes(text);
  }

  protected override bytePiece(text: string): Uint8Array {
    return byteTokenValue(text);
  }
}
