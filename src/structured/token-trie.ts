/**
 * All token byte strings of a vocabulary as one trie in flat preorder arrays,
 * built once per tokenizer (cached). Walking it with a matcher state checks
 * every shared prefix once and skips a whole subtree when its prefix is
 * rejected.
 *
 * Besides the trie of all tokens, the "plain" tokens (text that inside a
 * JSON string is just its characters) are listed apart with their lengths,
 * and the others get a trie of their own: inside a string only that smaller
 * trie is walked.
 *
 * Node i (preorder) holds byte `bytes[i]` at depth `depth[i]` (1 = first byte
 * of a token); its subtree ends before node `end[i]`; the tokens whose bytes
 * end exactly at node i are `ids[first[i] .. first[i+1])`.
 *
 * Left out: tokens with no bytes (control and unknown tokens decode to
 * nothing) and end-of-generation tokens; those are handled apart.
 */
import type { Tokenizer } from '../tokenizer/index.ts';

/** One trie in flat preorder arrays (see the file comment). */
export interface FlatTrie {
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly depth: Uint16Array;
  readonly end: Uint32Array;
  /** size + 1 offsets into ids. */
  readonly first: Uint32Array;
  readonly ids: Int32Array;
  readonly maxDepth: number;
}

export interface TokenTrie {
  /** Every token with bytes (end-of-generation tokens excepted). */
  readonly all: FlatTrie;
  /**
   * "Plain" tokens: valid, complete UTF-8 without '"', '\\' or control
   * characters; inside a JSON string each is just its characters. Sorted by
   * their number of code points (plainCounts).
   */
  readonly plainIds: Int32Array;
  readonly plainCounts: Int32Array;
  /** The plain tokens as a trie (walked inside strings under a pattern). */
  readonly plain: FlatTrie;
  /** The tokens that are not plain. */
  readonly rest: FlatTrie;
  readonly vocabSize: number;
  /** End-of-generation token ids. */
  readonly eog: Int32Array;
  /** The bytes of every token (empty for the ones left out). */
  readonly tokenBytes: Uint8Array[];
}

const cache = new WeakMap<Tokenizer, TokenTrie>();

/** The tries of a tokenizer's vocabulary (built on first use, then cached per tokenizer). */
export function tokenTrieFor(tokenizer: Tokenizer): TokenTrie {
  let t = cache.get(tokenizer);
  if (!t) {
    t = buildTokenTrie(tokenizer);
    cache.set(tokenizer, t);
  }
  return t;
}

/** Code points of a plain token, or -1 if it is not plain. */
export function plainLength(b: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      if (c < 0x20 || c === 0x22 || c === 0x5c) return -1;
      i++;
    } else {
      let need: number;
      let lo = 0x80;
      let hi = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) need = 1;
      else if (c === 0xe0) { need = 2; lo = 0xa0; }
      else if (c === 0xed) { need = 2; hi = 0x9f; }
      else if (c >= 0xe1 && c <= 0xef) need = 2;
      else if (c === 0xf0) { need = 3; lo = 0x90; }
      else if (c >= 0xf1 && c <= 0xf3) need = 3;
      else if (c === 0xf4) { need = 3; hi = 0x8f; }
      else return -1;
      if (i + need >= b.length) return -1; // cut short: a partial sequence
      for (let k = 1; k <= need; k++) {
        const x = b[i + k];
        if (x < lo || x > hi) return -1;
        lo = 0x80;
        hi = 0xbf;
      }
      i += need + 1;
    }
    n++;
  }
  return n;
}

function buildFlat(keys: string[], keyIds: number[]): FlatTrie {
  // the default sort compares UTF-16 units: byte order for these latin1 strings
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const list = byKey.get(keys[i]);
    if (list) list.push(i);
    else byKey.set(keys[i], [i]);
  }
  const order: number[] = [];
  for (const k of [...byKey.keys()].sort()) order.push(...byKey.get(k)!);
  // upper bound on nodes: total bytes
  let total = 0;
  for (const k of keys) total += k.length;
  const bytes = new Uint8Array(total);
  const depth = new Uint16Array(total);
  const end = new Uint32Array(total);
  const tokenCount = new Uint32Array(total + 1);
  const ids = new Int32Array(keys.length);
  const open: number[] = []; // open[d-1] = node at depth d on the current path
  let size = 0;
  let maxDepth = 0;
  let prev = '';
  let ti = 0;
  for (const k of order) {
    const s = keys[k];
    let l = 0;
    const lim = Math.min(s.length, prev.length);
    while (l < lim && s.charCodeAt(l) === prev.charCodeAt(l)) l++;
    while (open.length > l) end[open.pop()!] = size;
    for (let d = l; d < s.length; d++) {
      bytes[size] = s.charCodeAt(d);
      depth[size] = d + 1;
      open.push(size);
      size++;
    }
    if (s.length > maxDepth) maxDepth = s.length;
    tokenCount[open[s.length - 1]]++;
    ids[ti++] = keyIds[k];
    prev = s;
  }
  while (open.length) end[open.pop()!] = size;
  // tokens were appended in preorder of their end nodes: prefix sums give the offsets
  const first = new Uint32Array(size + 1);
  for (let i = 0; i < size; i++) first[i + 1] = first[i] + tokenCount[i];
  return { size, bytes: bytes.slice(0, size), depth: depth.slice(0, size), end: end.slice(0, size), first, ids, maxDepth };
}

export function buildTokenTrie(tokenizer: Tokenizer): TokenTrie {
  const vocabSize = tokenizer.vocab.tokens.length;
  const tokenBytes: Uint8Array[] = new Array(vocabSize);
  const keys: string[] = [];
  const keyIds: number[] = [];
  const restKeys: string[] = [];
  const restIds: number[] = [];
  const plain: [number, number][] = [];
  const plainKeys: string[] = [];
  const plainKeyIds: number[] = [];
  const eog: number[] = [];
  const empty = new Uint8Array(0);
  for (let id = 0; id < vocabSize; id++) {
    if (tokenizer.isEog(id)) {
      eog.push(id);
      tokenBytes[id] = empty;
      continue;
    }
    const b = tokenizer.tokenBytes(id);
    tokenBytes[id] = b;
    if (b.length === 0) continue;
    // latin1 string: UTF-16 order of these equals byte order
    const s = String.fromCharCode.apply(null, b as unknown as number[]);
    keys.push(s);
    keyIds.push(id);
    const n = plainLength(b);
    if (n >= 0) {
      plain.push([n, id]);
      plainKeys.push(s);
      plainKeyIds.push(id);
    } else {
      restKeys.push(s);
      restIds.push(id);
    }
  }
  plain.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    all: buildFlat(keys, keyIds),
    rest: buildFlat(restKeys, restIds),
    plain: buildFlat(plainKeys, plainKeyIds),
    plainIds: Int32Array.from(plain, (p) => p[1]),
    plainCounts: Int32Array.from(plain, (p) => p[0]),
    vocabSize, eog: Int32Array.from(eog), tokenBytes,
  };
}
