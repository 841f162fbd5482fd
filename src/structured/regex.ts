/**
 * `pattern` for generation: an ECMA-262 regular-expression subset compiled to
 * an NFA over code points, determinized lazily.
 *
 * Supported: literals and escaped punctuation, \d \D \w \W \s \S, \t \n \r
 * \f \v \0, \xHH, \uHHHH, '.', classes [...] / [^...] with ranges and
 * escapes, groups (...) and (?:...), '|', quantifiers * + ? {n} {n,} {n,m}
 * (lazy forms too: same language). '^' only at the very start and '$' only
 * at the very end; without them the pattern matches anywhere in the string,
 * as JSON Schema specifies. Matching is per code point (as with the 'u' flag).
 * Not supported (UnsupportedSchemaError "pattern"): backreferences,
 * lookaround, \b \B, anchors elsewhere, named groups, property escapes.
 *
 * Only states from which an accepting state can be reached are kept, so a
 * live DFA state always has a completion. Surrogate code points are never
 * produced (strings are written as UTF-8).
 */

/** Inclusive code point ranges, sorted and disjoint. */
type Ranges = number[]; // [lo0, hi0, lo1, hi1, ...]

const MAX_CP = 0x10ffff;
const MAX_STATES = 20000;

class PatternError extends Error {}

function normalize(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    // surrogates are never written
    const parts: [number, number][] = lo <= 0xdfff && hi >= 0xd800 ? [[lo, 0xd7ff], [0xe000, hi]] : [[lo, hi]];
    for (const [a, b] of parts) {
      if (a > b) continue;
      const n = out.length;
      if (n && a <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], b);
      else out.push(a, b);
    }
  }
  return out;
}

function negate(r: Ranges): Ranges {
  const n = normalize(r);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < n.length; i += 2) {
    if (n[i] > next) out.push(next, n[i] - 1);
    next = n[i + 1] + 1;
  }
  if (next <= MAX_CP) out.push(next, MAX_CP);
  return normalize(out);
}

const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE: Ranges = [0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];
const DOT: Ranges = negate([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]);
const ANY: Ranges = [0, MAX_CP];

// ---- parser → AST ----
type Ast =
  | { t: 'set'; r: Ranges }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; items: Ast[] }
  | { t: 'rep'; item: Ast; min: number; max: number };

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): never {
    throw new PatternError(`${msg} at offset ${this.i} of /${this.s}/`);
  }

  peek(): string {
    return this.s[this.i];
  }

  parseAlt(): Ast {
    const items = [this.parseSeq()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.parseSeq());
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  parseSeq(): Ast {
    const items: Ast[] = [];
    while (this.i < this.s.length && this.peek() !== '|' && this.peek() !== ')') {
      let atom = this.parseAtom();
      for (;;) {
        const q = this.parseQuant();
        if (!q) break;
        atom = { t: 'rep', item: atom, min: q[0], max: q[1] };
      }
      items.push(atom);
    }
    return items.length === 1 ? items[0] : { t: 'seq', items };
  }

  parseQuant(): [number, number] | null {
    const c = this.peek();
    let q: [number, number] | null = null;
    if (c === '*') { this.i++; q = [0, Infinity]; }
    else if (c === '+') { this.i++; q = [1, Infinity]; }
    else if (c === '?') { this.i++; q = [0, 1]; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return null; // a literal '{' (Annex B)
      this.i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) this.fail('quantifier range out of order');
      q = [min, max];
    }
    if (q && this.peek() === '?') this.i++; // lazy: same language
    return q;
  }

  parseAtom(): Ast {
    const c = this.s[this.i++];
    switch (c) {
      case '(': {
        if (this.s.startsWith('?:', this.i)) this.i += 2;
        else if (this.peek() === '?') this.fail('lookaround and named groups are not supported');
        const inner = this.parseAlt();
        if (this.peek() !== ')') this.fail('missing )');
        this.i++;
        return { t: 'seq', items: [inner] }; // a group: not a top-level alternation
      }
      case '[': return { t: 'set', r: this.parseClass() };
      case '.': return { t: 'set', r: DOT };
      case '\\': return { t: 'set', r: this.parseEscape(false) };
      case '^': return this.fail("'^' is only supported at the start");
      case '$': return this.fail("'$' is only supported at the end");
      case '*': case '+': case '?': return this.fail('nothing to repeat');
      case ')': return this.fail('unmatched )');
      default: {
        const cp = this.s.codePointAt(this.i - 1)!;
        if (cp > 0xffff) this.i++;
        return { t: 'set', r: [cp, cp] };
      }
    }
  }

  parseClass(): Ranges {
    let neg = false;
    if (this.peek() === '^') { neg = true; this.i++; }
    const r: Ranges = [];
    while (this.i < this.s.length && this.peek() !== ']') {
      const lo = this.classAtom();
      if (this.peek() === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length) {
        this.i++;
        const hi = this.classAtom();
        if (lo.length !== 2 || hi.length !== 2 || lo[0] !== lo[1] || hi[0] !== hi[1]) this.fail('class escape in a range');
        if (hi[0] < lo[0]) this.fail('range out of order');
        r.push(lo[0], hi[0]);
      } else r.push(...lo);
    }
    if (this.peek() !== ']') this.fail('missing ]');
    this.i++;
    return neg ? negate(r) : normalize(r);
  }

  classAtom(): Ranges {
    const c = this.s[this.i++];
    if (c === '\\') return this.parseEscape(true);
    const cp = this.s.codePointAt(this.i - 1)!;
    if (cp > 0xffff) this.i++;
    return [cp, cp];
  }

  parseEscape(inClass: boolean): Ranges {
    const c = this.s[this.i++];
    if (c === undefined) this.fail('trailing backslash');
    const one = (cp: number): Ranges => [cp, cp];
    switch (c) {
      case 'd': return DIGIT;
      case 'D': return negate(DIGIT);
      case 'w': return WORD;
      case 'W': return negate(WORD);
      case 's': return normalize(SPACE);
      case 'S': return negate(SPACE);
      case 't': return one(9);
      case 'n': return one(10);
      case 'v': return one(11);
      case 'f': return one(12);
      case 'r': return one(13);
      case '0': return one(0);
      case 'b': return inClass ? one(8) : this.fail('\\b is not supported');
      case 'B': return this.fail('\\B is not supported');
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
        if (!m) this.fail('bad \\x escape');
        this.i += 2;
        return one(parseInt(m[0], 16));
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(this.s.slice(this.i));
        if (!m) this.fail('bad \\u escape');
        this.i += 4;
        return one(parseInt(m[0], 16));
      }
      case 'c': case 'p': case 'P': case 'k': return this.fail(`\\${c} is not supported`);
      default:
        if (/[1-9]/.test(c)) this.fail('backreferences are not supported');
        if (/[A-Za-z]/.test(c)) this.fail(`unknown escape \\${c}`);
        return one(c.codePointAt(0)!);
    }
  }
}

// ---- Thompson NFA ----
interface Nfa {
  eps: number[][];
  edges: { r: Ranges; to: number }[][];
  start: number;
  accept: number;
}

function buildNfa(ast: Ast, anchoredStart: boolean, anchoredEnd: boolean): Nfa {
  const eps: number[][] = [];
  const edges: { r: Ranges; to: number }[][] = [];
  const state = (): number => {
    if (eps.length >= MAX_STATES) throw new PatternError(`the pattern needs more than ${MAX_STATES} states`);
    eps.push([]);
    edges.push([]);
    return eps.length - 1;
  };
  // returns [start, end]
  const frag = (a: Ast): [number, number] => {
    switch (a.t) {
      case 'set': {
        const s = state();
        const e = state();
        if (a.r.length) edges[s].push({ r: a.r, to: e });
        return [s, e];
      }
      case 'seq': {
        const s = state();
        let cur = s;
        for (const it of a.items) {
          const [fs, fe] = frag(it);
          eps[cur].push(fs);
          cur = fe;
        }
        return [s, cur];
      }
      case 'alt': {
        const s = state();
        const e = state();
        for (const it of a.items) {
          const [fs, fe] = frag(it);
          eps[s].push(fs);
          eps[fe].push(e);
        }
        return [s, e];
      }
      case 'rep': {
        const s = state();
        let cur = s;
        for (let k = 0; k < a.min; k++) {
          const [fs, fe] = frag(a.item);
          eps[cur].push(fs);
          cur = fe;
        }
        if (a.max === Infinity) {
          const [fs, fe] = frag(a.item);
          eps[cur].push(fs);
          eps[fe].push(fs);
          const e = state();
          eps[cur].push(e);
          eps[fe].push(e);
          return [s, e];
        }
        const e = state();
        for (let k = a.min; k < a.max; k++) {
          eps[cur].push(e);
          const [fs, fe] = frag(a.item);
          eps[cur].push(fs);
          cur = fe;
        }
        eps[cur].push(e);
        return [s, e];
      }
    }
  };
  const start = state();
  let cur = start;
  if (!anchoredStart) {
    const loop = state();
    eps[cur].push(loop);
    edges[loop].push({ r: normalize(ANY), to: loop });
    cur = loop;
  }
  const [fs, fe] = frag(ast);
  eps[cur].push(fs);
  cur = fe;
  if (!anchoredEnd) {
    const loop = state();
    eps[cur].push(loop);
    edges[loop].push({ r: normalize(ANY), to: loop });
    cur = loop;
  }
  return { eps, edges, start, accept: cur };
}

/**
 * A lazily built DFA over code points; state -1 is dead. With length limits
 * the NFA is paired with a count of code points (0..cap, saturating at cap
 * when there is no maximum): product state = nfaState * (cap + 1) + count.
 */
export class PatternDfa {
  private readonly nfa: Nfa;
  private readonly cap: number;
  private readonly saturate: boolean;
  private readonly live: Uint8Array;
  private readonly sets: Int32Array[] = [];
  private readonly accepting: boolean[] = [];
  private readonly next: Map<number, number>[] = [];
  /** Per state: next state for ASCII code points (-2: not computed yet). */
  private readonly ascii: Int32Array[] = [];
  private readonly ids = new Map<string, number>();
  readonly start: number;

  constructor(readonly source: string, readonly minLength = 0, readonly maxLength = Infinity) {
    let body = source;
    const anchoredStart = body.startsWith('^');
    if (anchoredStart) body = body.slice(1);
    let anchoredEnd = false;
    if (body.endsWith('$') && !/(^|[^\\])(\\\\)*\\\$$/.test(body)) {
      anchoredEnd = true;
      body = body.slice(0, -1);
    }
    const p = new Parser(body);
    const ast = p.parseAlt();
    if (p.i !== body.length) p.fail('unexpected )');
    if (ast.t === 'alt' && (anchoredStart || anchoredEnd)) p.fail("'^'/'$' beside a top-level '|' (wrap the alternatives in a group)");
    this.nfa = buildNfa(ast, anchoredStart, anchoredEnd);
    const n = this.nfa.eps.length;
    this.saturate = maxLength === Infinity;
    this.cap = this.saturate ? minLength : maxLength;
    const w = this.cap + 1;
    if (n * w > MAX_STATES * 10) throw new PatternError(`the pattern with these length limits needs more than ${MAX_STATES * 10} states`);
    // co-reachability in the product: states from which an accepting one can be reached
    const revEps: number[][] = Array.from({ length: n }, () => []);
    const revChar: number[][] = Array.from({ length: n }, () => []);
    for (let s2 = 0; s2 < n; s2++) {
      for (const t of this.nfa.eps[s2]) revEps[t].push(s2);
      for (const e of this.nfa.edges[s2]) revChar[e.to].push(s2);
    }
    this.live = new Uint8Array(n * w);
    const stack: number[] = [];
    for (let c = minLength; c <= this.cap; c++) {
      const id = this.nfa.accept * w + c;
      this.live[id] = 1;
      stack.push(id);
    }
    while (stack.length) {
      const id = stack.pop()!;
      const t = Math.floor(id / w);
      const c = id % w;
      const mark = (x: number) => {
        if (!this.live[x]) { this.live[x] = 1; stack.push(x); }
      };
      for (const s2 of revEps[t]) mark(s2 * w + c);
      if (c > 0) for (const s2 of revChar[t]) mark(s2 * w + c - 1);
      if (this.saturate && c === this.cap) for (const s2 of revChar[t]) mark(s2 * w + c);
    }
    this.start = this.intern(this.closure([this.nfa.start * w]));
  }

  private closure(seeds: number[]): number[] {
    const w = this.cap + 1;
    const seen = new Set<number>();
    const stack = [...seeds];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || !this.live[id]) continue;
      seen.add(id);
      const c = id % w;
      for (const t of this.nfa.eps[Math.floor(id / w)]) stack.push(t * w + c);
    }
    return [...seen].sort((a, b) => a - b);
  }

  private intern(set: number[]): number {
    if (set.length === 0) return -1;
    const key = set.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(Int32Array.from(set));
      const w = this.cap + 1;
      this.accepting.push(set.some((x) => Math.floor(x / w) === this.nfa.accept && x % w >= this.minLength));
      this.next.push(new Map());
      this.ascii.push(new Int32Array(128).fill(-2));
    }
    return id;
  }

  /** The product state one character after (s, c), or -1. */
  private after(to: number, c: number): number {
    const w = this.cap + 1;
    const c2 = c < this.cap ? c + 1 : this.saturate ? c : -1;
    if (c2 < 0) return -1;
    const id = to * w + c2;
    return this.live[id] ? id : -1;
  }

  isAccepting(d: number): boolean {
    return d >= 0 && this.accepting[d];
  }

  /** The state after code point cp (-1: dead). */
  step(d: number, cp: number): number {
    if (d < 0) return -1;
    if (cp < 128) {
      const a = this.ascii[d];
      const hit = a[cp];
      if (hit !== -2) return hit;
      return (a[cp] = this.compute(d, cp));
    }
    const cache = this.next[d];
    const hit = cache.get(cp);
    if (hit !== undefined) return hit;
    const id = this.compute(d, cp);
    cache.set(cp, id);
    return id;
  }

  private compute(d: number, cp: number): number {
    const w = this.cap + 1;
    const targets: number[] = [];
    for (const id of this.sets[d]) {
      const c = id % w;
      for (const e of this.nfa.edges[Math.floor(id / w)]) {
        const r = e.r;
        for (let i = 0; i < r.length; i += 2) {
          if (cp >= r[i] && cp <= r[i + 1]) {
            const t = this.after(e.to, c);
            if (t >= 0) targets.push(t);
            break;
          }
        }
      }
    }
    return this.intern(this.closure(targets));
  }

  /** Does the whole string match (pattern and lengths)? */
  matches(str: string): boolean {
    let d = this.start;
    for (const ch of str) {
      d = this.step(d, ch.codePointAt(0)!);
      if (d < 0) return false;
    }
    return this.isAccepting(d);
  }

  /** Can some code point in [lo, hi] follow? */
  canStepRange(d: number, lo: number, hi: number): boolean {
    if (d < 0) return false;
    const w = this.cap + 1;
    for (const id of this.sets[d]) {
      const c = id % w;
      for (const e of this.nfa.edges[Math.floor(id / w)]) {
        if (this.after(e.to, c) < 0) continue;
        const r = e.r;
        for (let i = 0; i < r.length; i += 2) if (r[i] <= hi && r[i + 1] >= lo) return true;
      }
    }
    return false;
  }
}

/** Compiles a pattern; throws PatternError (message says why) if unsupported. */
export function compilePattern(source: string, minLength = 0, maxLength = Infinity): PatternDfa {
  return new PatternDfa(source, minLength, maxLength);
}

export { PatternError };
