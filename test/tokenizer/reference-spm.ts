/**
 * A deliberately plain second implementation of llama.cpp's SPM merge, for cross-checking
 * the optimised one in src/tokenizer/spm.ts on large inputs: one global priority queue over
 * the whole fragment, string lookups for every candidate pair, no caches, no segmentation.
 * Special-token partition is not done here (callers pass parseSpecial = false inputs
 * without user-defined token texts).
 */
import type { Vocab } from '../../src/tokenizer/vocab.ts';

interface Sym { start: number; n: number; prev: number; next: number }
interface Bigram { left: number; right: number; score: number; size: number }

/** true when a should come out of the queue before b */
function before(a: Bigram, b: Bigram): boolean {
  return a.score > b.score || (a.score === b.score && a.left < b.left);
}

class Queue {
  private h: Bigram[] = [];
  get length() { return this.h.length; }
  push(x: Bigram) {
    const h = this.h;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Bigram {
    const h = this.h;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

export function referenceEncode(vocab: Vocab, text: string): number[] {
  const idOf = new Map<string, number>();
  vocab.tokens.forEach((t, i) => { if (!idOf.has(t)) idOf.set(t, i); });
  const out: number[] = [];
  if (text.length === 0) return out;
  const s = ((vocab.addSpacePrefix ? ' ' : '') + text).replaceAll(' ', '\u2581');
  const chars = Array.from(s);
  const syms: Sym[] = [];
  let off = 0;
  chars.forEach((c, i) => {
    syms.push({ start: off, n: c.length, prev: i - 1, next: i + 1 < chars.length ? i + 1 : -1 });
    off += c.length;
  });
  const q = new Queue();
  const tryAdd = (l: number, r: number) => {
    if (l === -1 || r === -1) return;
    const t = s.substr(syms[l].start, syms[l].n + syms[r].n);
    const id = idOf.get(t);
    if (id === undefined) return;
    q.push({ left: l, right: r, score: vocab.scores[id], size: t.length });
  };
  for (let i = 1; i < syms.length; i++) tryAdd(i - 1, i);
  while (q.length > 0) {
    const b = q.pop();
    const L = syms[b.left], R = syms[b.right];
    if (L.n === 0 || R.n === 0 || L.n + R.n !== b.size) continue;
    L.n += R.n;
    R.n = 0;
    L.next = R.next;
    if (R.next >= 0) syms[R.next].prev = b.left;
    tryAdd(L.prev, b.left);
    tryAdd(b.left, L.next);
  }
  const hex = '0123456789ABCDEF';
  for (let i = 0; i !== -1; i = syms[i].next) {
    const t = s.substr(syms[i].start, syms[i].n);
    const id = idOf.get(t);
    if (id !== undefined) { out.push(id); continue; }
    const bytes = new TextEncoder().encode(t);
    const ids = Array.from(bytes, (b) => idOf.get(`<0x${hex[b >> 4]}${hex[b & 15]}>`) ?? (b < 0x80 ? idOf.get(String.fromCharCode(b)) : undefined));
    if (ids.every((x) => x !== undefined)) out.push(...(ids as number[]));
    else out.push(vocab.unkId);
  }
  return out;
}
