/**
 * Pieces shared by every tokenizer: splitting special-token texts out of the input the way
 * llama.cpp's `tokenizer_st_partition` does, plus small string helpers.
 *
 * Special tokens are the control / user-defined / unknown tokens, tried longest UTF-8 text
 * first. Control and unknown tokens are recognised only when `parseSpecial`; user-defined
 * tokens always (as llama.cpp and HF tokenizers do). Tokens with the lstrip / rstrip
 * attribute swallow the whitespace on that side.
 */
import { TokenType, type Vocab } from './vocab.ts';

/** A text fragment [start, end) of the input, or a special token (tok >= 0). */
export interface Fragment { tok: number; start: number; end: number }

/** C isspace() over the characters that matter here. */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

/** Lone surrogates become U+FFFD, as UTF-8 encoding of the string would make them. */
export function wellFormed(s: string): string {
  const f = (s as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  if (f ? f.call(s) : !/[\uD800-\uDFFF]/.test(s)) return s;
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Control / user-defined / unknown token ids, longest UTF-8 text first (ties: lower id first). */
export function specialTokenOrder(vocab: Vocab): number[] {
  const { tokens, types } = vocab;
  const special: number[] = [];
  const byteLen = new Map<number, number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = types[i];
    if (t === TokenType.CONTROL || t === TokenType.USER_DEFINED || t === TokenType.UNKNOWN) {
      special.push(i);
      byteLen.set(i, utf8Length(tokens[i]));
    }
  }
  special.sort((a, b) => byteLen.get(b)! - byteLen.get(a)! || a - b);
  return special;
}

interface TrieNode { next: Map<number, TrieNode>; ids: number[] }

/** Tries over the special-token texts, per special-token list (built on first use). */
const tries = new WeakMap<readonly number[], TrieNode>();

function trieFor(specialTokens: readonly number[], tokens: readonly string[]): TrieNode {
  let root = tries.get(specialTokens);
  if (!root) {
    root = { next: new Map(), ids: [] };
    for (const id of specialTokens) {
      const t = tokens[id];
      let node = root;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        let n = node.next.get(c);
        if (!n) { n = { next: new Map(), ids: [] }; node.next.set(c, n); }
        node = n;
      }
      node.ids.push(id);
    }
    tries.set(specialTokens, root);
  }
  return root;
}

/** The special tokens whose text occurs anywhere in `text` (one pass over the text with a trie). */
function occurring(text: string, specialTokens: readonly number[], tokens: readonly string[]): Set<number> {
  const root = trieFor(specialTokens, tokens);
  const found = new Set<number>();
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let node = root.next.get(text.charCodeAt(i));
    for (let j = i + 1; node; j++) {
      for (const id of node.ids) found.add(id);
      if (j >= n) break;
      node = node.next.get(text.charCodeAt(j));
    }
  }
  return found;
}

/** Splits special-token texts out of `text` exactly as llama.cpp's tokenizer_st_partition. */
export function partitionSpecial(text: string, vocab: Vocab, specialTokens: readonly number[], parseSpecial: boolean): Fragment[] {
  let frags: Fragment[] = [{ tok: -1, start: 0, end: text.length }];
  const { tokens, types, lstripIds, rstripIds } = vocab;
  // With many special tokens (e.g. thousands of [PAD…] entries) and a long text, first find which occur at all.
  const present = specialTokens.length > 16 && text.length > 256 ? occurring(text, specialTokens, tokens) : undefined;
  for (const id of specialTokens) {
    if (present && !present.has(id)) continue;
    const t = types[id];
    if (!parseSpecial && (t === TokenType.CONTROL || t === TokenType.UNKNOWN)) continue;
    const st = tokens[id];
    let next = text.indexOf(st);
    if (next < 0) continue;
    const lstrip = lstripIds.has(id);
    const rstrip = rstripIds.has(id);
    const L = st.length;
    const out: Fragment[] = [];
    for (const f of frags) {
      if (f.tok >= 0) { out.push(f); continue; }
      let s = f.start;
      const e = f.end;
      for (;;) {
        // First occurrence at or after s (occurrences are found left to right, so the cached one stays valid).
        if (next >= 0 && next < s) next = text.indexOf(st, s);
        if (next < 0 || next + L > e) {
          if (e > s) out.push({ tok: -1, start: s, end: e });
          break;
        }
        const m = next;
        if (m > s) {
          let ll = m - s;
          if (lstrip) while (ll > 0 && isSpace(text.charCodeAt(s + ll - 1))) ll--;
          if (ll > 0) out.push({ tok: -1, start: s, end: s + ll });
        }
        out.push({ tok: id, start: 0, end: 0 });
        if (m + L >= e) break;
        let rs = m + L;
        if (rstrip) while (rs < e && isSpace(text.charCodeAt(rs))) rs++;
        s = rs;
        if (s >= e) break;
      }
    }
    frags = out;
  }
  return frags;
}
