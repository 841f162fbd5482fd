/**
 * A plain BPE merge for cross-checking: strings, a Map of "left right" → rank, and a
 * full rescan for the lowest-rank (then leftmost) adjacent pair after every merge.
 */
import { bytesToBpeText } from '../../src/tokenizer/bpe.ts';

export class ReferenceBpe {
  private readonly ranks = new Map<string, number>();
  private readonly idOf = new Map<string, number>();

  constructor(tokens: readonly string[], merges: readonly string[], private readonly ignoreMerges = false) {
    tokens.forEach((t, i) => { if (!this.idOf.has(t)) this.idOf.set(t, i); });
    merges.forEach((m, r) => {
      const p = m.indexOf(' ', 1);
      const key = p >= 0 ? `${m.slice(0, p)}\u0000${m.slice(p + 1)}` : '\u0000';
      if (!this.ranks.has(key)) this.ranks.set(key, r);
    });
  }

  /** Ids of one pre-tokenized word. */
  word(word: string): number[] {
    const text = bytesToBpeText(new TextEncoder().encode(word));
    if (this.ignoreMerges && this.idOf.has(text)) return [this.idOf.get(text)!];
    const syms = [...text];
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(`${syms[i]}\u0000${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) { best = i; bestRank = r; }
      }
      if (best < 0) break;
      syms.splice(best, 2, syms[best] + syms[best + 1]);
    }
    const out: number[] = [];
    for (const s of syms) {
      const id = this.idOf.get(s);
      if (id !== undefined) { out.push(id); continue; }
      for (const ch of s) if (ch.charCodeAt(0) < 0x80 && this.idOf.has(ch)) out.push(this.idOf.get(ch)!);
    }
    return out;
  }
}
