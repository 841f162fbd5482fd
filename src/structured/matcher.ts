/**
 * Byte-level incremental matcher for a compiled JSON schema (schema.ts).
 *
 * A matcher state is a small set of threads (alternatives still alive after
 * an `anyOf` or an ambiguous end of a number); each thread is an immutable
 * stack of frames, held by its top frame (frames point to their parent).
 * Advancing by a byte builds new top frames and shares everything below, so
 * states are cheap to keep per trie depth while masking a vocabulary, and an
 * ASCII byte inside an unconstrained string returns the very same state.
 *
 * FORMATTING POLICY (what the generator may write; everything else is rejected):
 *  - No whitespace anywhere outside strings, except one optional space
 *    (0x20) right after a ':' or ',' separator. No leading or trailing
 *    whitespace, no space after '{' / '[' or before '}' / ']'.
 *    (`{"a":1,"b":[2,3]}` and `{"a": 1, "b": [2, 3]}` both match.)
 *  - Object keys and enum/const values are written exactly as
 *    JSON.stringify writes them (non-ASCII as raw UTF-8, no \u escapes,
 *    objects' keys in the order given); free-form keys (additionalProperties)
 *    and strings may use any escape.
 *  - Strings: valid UTF-8 only (no overlongs, no surrogates); `\uXXXX` escapes
 *    of surrogates (D800-DFFF) are not allowed (write the character as UTF-8).
 *    Lengths count code points.
 *  - Numbers: integer part of at most 21 digits, fraction of at most 24,
 *    exponent of at most 3 digits and a finite value (JSON.stringify of any
 *    double fits); integers are written without fraction or exponent;
 *    numbers with a minimum or maximum without exponent.
 *  - No duplicate keys (JSON.parse would keep the last; validators differ).
 * Every value the schema allows has a spelling under this policy, except
 * numbers beyond those digit limits and, for `format`, values outside the
 * subset its pattern spells (schema.ts, FORMAT_PATTERNS).
 */
import {
  compileSchema, inBounds, K_ARRAY, K_LITERAL, K_NUMBER, K_OBJECT, K_STRING,
  MAX_EXP_DIGITS, MAX_FRAC_DIGITS, MAX_INT_DIGITS, type CompiledSchema, type JsonSchema, type SchemaNode,
} from './schema.ts';

// frame kinds
const F_ROOT = 0;
const F_OBJ = 1;
const F_KEY = 2; // a declared key, matched on its canonical bytes
const F_STR = 3; // a string value
const F_XKEY = 4; // a free-form key (additionalProperties)
const F_NUM = 5;
const F_LIT = 6;
const F_ARR = 7;
const F_PSTR = 8; // a string value with a pattern

// root phases
const R_START = 0;
const R_DONE = 1;
// object phases
const O_OPEN = 0;
const O_KEY = 1; // a key frame runs above
const O_AFTER_KEY = 2;
const O_COLON = 3;
const O_COLON_SP = 4;
const O_VALUE = 5; // a value frame runs above
const O_AFTER_VALUE = 6;
const O_COMMA = 7;
const O_COMMA_SP = 8;
// array phases
const A_OPEN = 0;
const A_ITEM = 1;
const A_AFTER_ITEM = 2;
const A_COMMA = 3;
const A_COMMA_SP = 4;
// string phases
const S_NORMAL = 0;
const S_ESC = 1;
const S_HEX = 2;
const S_UTF8 = 3;
// number phases
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_SPACE = 0x20;
const CH_COMMA = 0x2c;
const CH_COLON = 0x3a;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;
const CH_LBRACKET = 0x5b;
const CH_RBRACKET = 0x5d;
const CH_MINUS = 0x2d;
const CH_PLUS = 0x2b;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_9 = 0x39;

/** Object state carried through its frames (copied when a key is added). */
interface ObjAux {
  seen: Uint8Array;
  /** Required properties seen. */
  nreq: number;
  /** Keys so far. */
  count: number;
  /** Free-form keys seen (decoded). */
  extras: string[];
}

export class Frame {
  constructor(
    readonly kind: number,
    readonly node: SchemaNode,
    readonly parent: Frame | null,
    readonly phase: number,
    /** string: code points; array: items done; object: current property (-1 free-form); key: bytes matched; number: digits in the part; literal: trie node */
    readonly n: number,
    /** string: escape/UTF-8 detail; literal: 1 after an optional space */
    readonly m: number,
    /** object: ObjAux; key: candidate property indices; free key: its raw bytes as a latin1 string; number: its text */
    readonly aux: unknown,
  ) {}
}

export type State = readonly Frame[];
const DEAD: State = Object.freeze([]) as State;

/** The parent after a value frame finished. */
function complete(f: Frame): Frame {
  const p = f.parent!;
  switch (p.kind) {
    case F_ROOT: return new Frame(F_ROOT, p.node, null, R_DONE, 0, 0, null);
    case F_OBJ: return new Frame(F_OBJ, p.node, p.parent, O_AFTER_VALUE, p.n, 0, p.aux);
    default: return new Frame(F_ARR, p.node, p.parent, A_AFTER_ITEM, p.n + 1, 0, null);
  }
}

/** Can this value frame end here (without another byte)? Numbers and number literals only. */
function canEnd(f: Frame): boolean {
  if (f.kind === F_NUM) {
    const ph = f.phase;
    if (ph !== N_ZERO && ph !== N_INT && ph !== N_FRAC && ph !== N_EXP) return false;
    return !f.node.bounded || inBounds(f.node, Number(f.aux as string));
  }
  if (f.kind === F_LIT) return f.m === 0 && f.node.trie!.end[f.n];
  return false;
}

function accepting(f: Frame): boolean {
  if (f.kind === F_ROOT) return f.phase === R_DONE;
  return canEnd(f) && f.parent!.kind === F_ROOT;
}

/** Starts a value of `node` with byte b; `parent` is the frame waiting for it. */
function startValue(node: SchemaNode, parent: Frame, b: number, out: Frame[]): void {
  const alts = node.concrete;
  for (let i = 0; i < alts.length; i++) {
    const a = alts[i];
    switch (a.kind) {
      case K_OBJECT:
        if (b === CH_LBRACE) out.push(new Frame(F_OBJ, a, parent, O_OPEN, -1, 0, { seen: new Uint8Array(a.props.length), nreq: 0, count: 0, extras: [] }));
        break;
      case K_ARRAY:
        if (b === CH_LBRACKET) out.push(new Frame(F_ARR, a, parent, A_OPEN, 0, 0, null));
        break;
      case K_STRING:
        if (b === CH_QUOTE) {
          if (a.pattern) out.push(new Frame(F_PSTR, a, parent, S_NORMAL, 0, 0, a.pattern.start));
          else out.push(new Frame(F_STR, a, parent, S_NORMAL, 0, 0, null));
        }
        break;
      case K_NUMBER: {
        let ph = -1;
        let n = 0;
        if (b === CH_MINUS) ph = N_MINUS;
        else if (b === CH_0) ph = N_ZERO;
        else if (b > CH_0 && b <= CH_9) { ph = N_INT; n = 1; }
        if (ph < 0) break;
        const text = String.fromCharCode(b);
        if (!a.bounded || feasible(a, text)) out.push(new Frame(F_NUM, a, parent, ph, n, 0, text));
        break;
      }
      case K_LITERAL: {
        const trie = a.trie!;
        const c = trie.next[0].get(b);
        if (c === undefined) break;
        const f = new Frame(F_LIT, a, parent, 0, c, 0, null);
        out.push(trie.end[c] && trie.next[c].size === 0 ? complete(f) : f);
        break;
      }
    }
  }
}

function startKey(obj: Frame, out: Frame[]): void {
  const node = obj.node;
  const aux = obj.aux as ObjAux;
  const waiting = new Frame(F_OBJ, node, obj.parent, O_KEY, -1, 0, aux);
  // with maxProperties, an optional key is only allowed while the required ones still fit
  const optionalOk = aux.count + 1 + (node.requiredCount - aux.nreq) <= node.maxProps;
  const cands: number[] = [];
  for (let i = 0; i < node.props.length; i++) {
    const p = node.props[i];
    if (!aux.seen[i] && p.node.sat && (optionalOk || p.required)) cands.push(i);
  }
  if (cands.length) out.push(new Frame(F_KEY, node, waiting, 0, 0, 0, cands));
  if (node.additional && optionalOk) out.push(new Frame(F_XKEY, node, waiting, S_NORMAL, 0, 0, ''));
}

/** Another key may follow in this object. */
function moreKeys(node: SchemaNode, aux: ObjAux): boolean {
  if (aux.count >= node.maxProps) return false;
  if (node.additional) return true;
  for (let i = 0; i < node.props.length; i++) if (!aux.seen[i] && node.props[i].node.sat) return true;
  return false;
}

function keyDone(f: Frame, prop: number, extra: string | null): Frame {
  const obj = f.parent!;
  const aux = obj.aux as ObjAux;
  let next: ObjAux;
  if (prop >= 0) {
    const seen = aux.seen.slice();
    seen[prop] = 1;
    next = { seen, nreq: aux.nreq + (obj.node.props[prop].required ? 1 : 0), count: aux.count + 1, extras: aux.extras };
  } else {
    next = { seen: aux.seen, nreq: aux.nreq, count: aux.count + 1, extras: [...aux.extras, extra!] };
  }
  return new Frame(F_OBJ, obj.node, obj.parent, O_AFTER_KEY, prop, 0, next);
}

/**
 * String content byte. Returns the next frame, `f` itself when nothing
 * changes, `null` when rejected, or for the closing quote `CLOSE`.
 */
const CLOSE = new Frame(F_ROOT, null as unknown as SchemaNode, null, 0, 0, 0, null);

function stringByte(f: Frame, b: number, counted: boolean, min: number, max: number): Frame | null {
  switch (f.phase) {
    case S_NORMAL: {
      if (b === CH_QUOTE) return f.n >= min ? CLOSE : null;
      if (b < 0x20) return null;
      let ph = S_NORMAL;
      let m = 0;
      if (b === CH_BACKSLASH) ph = S_ESC;
      else if (b >= 0x80) {
        ph = S_UTF8;
        // m = remaining continuation bytes | next byte's low << 8 | high << 16
        if (b >= 0xc2 && b <= 0xdf) m = 1 | (0x80 << 8) | (0xbf << 16);
        else if (b === 0xe0) m = 2 | (0xa0 << 8) | (0xbf << 16);
        else if (b === 0xed) m = 2 | (0x80 << 8) | (0x9f << 16);
        else if (b >= 0xe1 && b <= 0xef) m = 2 | (0x80 << 8) | (0xbf << 16);
        else if (b === 0xf0) m = 3 | (0x90 << 8) | (0xbf << 16);
        else if (b >= 0xf1 && b <= 0xf3) m = 3 | (0x80 << 8) | (0xbf << 16);
        else if (b === 0xf4) m = 3 | (0x80 << 8) | (0x8f << 16);
        else return null;
      }
      if (!counted) return ph === S_NORMAL ? f : new Frame(f.kind, f.node, f.parent, ph, 0, m, f.aux);
      if (f.n >= max) return null;
      return new Frame(f.kind, f.node, f.parent, ph, f.n + 1, m, f.aux);
    }
    case S_ESC: {
      if (b === 0x75 /* u */) return new Frame(f.kind, f.node, f.parent, S_HEX, f.n, 0, f.aux);
      if (b === CH_QUOTE || b === CH_BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) {
        return new Frame(f.kind, f.node, f.parent, S_NORMAL, f.n, 0, f.aux);
      }
      return null;
    }
    case S_HEX: {
      const isHex = (b >= CH_0 && b <= CH_9) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
      if (!isHex) return null;
      const k = f.m & 7;
      const firstD = (f.m & 8) !== 0;
      if (k === 1 && firstD && !(b >= CH_0 && b <= 0x37)) return null; // D800-DFFF: surrogates
      const d = k === 0 && (b === 0x64 || b === 0x44) ? 8 : f.m & 8;
      if (k === 3) return new Frame(f.kind, f.node, f.parent, S_NORMAL, f.n, 0, f.aux);
      return new Frame(f.kind, f.node, f.parent, S_HEX, f.n, (k + 1) | d, f.aux);
    }
    case S_UTF8: {
      const lo = (f.m >> 8) & 0xff;
      const hi = (f.m >> 16) & 0xff;
      if (b < lo || b > hi) return null;
      const rem = (f.m & 0xff) - 1;
      if (rem === 0) return new Frame(f.kind, f.node, f.parent, S_NORMAL, f.n, 0, f.aux);
      return new Frame(f.kind, f.node, f.parent, S_UTF8, f.n, rem | (0x80 << 8) | (0xbf << 16), f.aux);
    }
  }
  return null;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The code points \-escapes stand for (after the backslash). */
function escapeCp(b: number): number {
  switch (b) {
    case CH_QUOTE: return 0x22;
    case CH_BACKSLASH: return 0x5c;
    case 0x2f: return 0x2f;
    case 0x62: return 0x08;
    case 0x66: return 0x0c;
    case 0x6e: return 0x0a;
    case 0x72: return 0x0d;
    case 0x74: return 0x09;
  }
  return -1;
}

function hexValue(b: number): number {
  if (b >= CH_0 && b <= CH_9) return b - CH_0;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/**
 * A string under a pattern: the frame's aux is the DFA state; n holds the
 * code point decoded so far (UTF-8 or \\u digits), m the bytes/digits still
 * to come. Partial characters are only accepted when some completion of
 * them is a code point the pattern allows next.
 */
function patternStringByte(f: Frame, b: number): Frame | null {
  const dfa = f.node.pattern!;
  const d = f.aux as number;
  const char = (cp: number): Frame | null => {
    const nd = dfa.step(d, cp);
    return nd < 0 ? null : new Frame(F_PSTR, f.node, f.parent, S_NORMAL, 0, 0, nd);
  };
  switch (f.phase) {
    case S_NORMAL: {
      if (b === CH_QUOTE) return dfa.isAccepting(d) ? CLOSE : null;
      if (b < 0x20) return null;
      if (b === CH_BACKSLASH) return dfa.canStepRange(d, 0, 0xffff) ? new Frame(F_PSTR, f.node, f.parent, S_ESC, 0, 0, d) : null;
      if (b < 0x80) return char(b);
      let need: number, cp: number;
      if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
      else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; }
      else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; }
      else return null;
      return utf8Partial(f, dfa, d, cp, need, need);
    }
    case S_UTF8: {
      if (b < 0x80 || b > 0xbf) return null;
      return utf8Partial(f, dfa, d, (f.n << 6) | (b & 0x3f), (f.m & 15) - 1, f.m >> 4);
    }
    case S_ESC: {
      if (b === 0x75 /* u */) return new Frame(F_PSTR, f.node, f.parent, S_HEX, 0, 4, d);
      const cp = escapeCp(b);
      return cp < 0 ? null : char(cp);
    }
    case S_HEX: {
      const h = hexValue(b);
      if (h < 0) return null;
      const cp = (f.n << 4) | h;
      const rem = f.m - 1;
      if (rem === 0) return cp >= 0xd800 && cp <= 0xdfff ? null : char(cp);
      const lo = cp << (4 * rem);
      const hi = ((cp + 1) << (4 * rem)) - 1;
      if (lo >= 0xd800 && hi <= 0xdfff) return null; // surrogates
      if (!dfa.canStepRange(d, lo, hi)) return null;
      return new Frame(F_PSTR, f.node, f.parent, S_HEX, cp, rem, d);
    }
  }
  return null;
}

const UTF8_MIN = [0, 0x80, 0x800, 0x10000];
const UTF8_MAX = [0, 0x7ff, 0xffff, 0x10ffff];

/**
 * A UTF-8 sequence of `need` continuation bytes with `rem` still to come and
 * code point bits `cp` so far: the characters it can still become must
 * include one the pattern allows (this also rules out overlongs and
 * surrogates, which no pattern edge carries).
 */
function utf8Partial(f: Frame, dfa: NonNullable<SchemaNode['pattern']>, d: number, cp: number, rem: number, need: number): Frame | null {
  const lo = Math.max(UTF8_MIN[need], cp * 2 ** (6 * rem));
  const hi = Math.min(UTF8_MAX[need], (cp + 1) * 2 ** (6 * rem) - 1);
  if (lo > hi) return null;
  if (rem === 0) {
    const nd = dfa.step(d, cp);
    return nd < 0 ? null : new Frame(F_PSTR, f.node, f.parent, S_NORMAL, 0, 0, nd);
  }
  if (!dfa.canStepRange(d, lo, hi)) return null;
  return new Frame(F_PSTR, f.node, f.parent, S_UTF8, cp, rem | (need << 4), d);
}

/** Can a number that starts with `text` still end inside the node's bounds? */
export function feasible(node: SchemaNode, text: string): boolean {
  const neg = text.charCodeAt(0) === CH_MINUS;
  const body = neg ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const D = dot < 0 ? body : body.slice(0, dot);
  // reachable magnitudes as intervals [a, b) (numbers) or [a, b] (integers)
  const ivs: [number, number][] = [];
  const integer = node.integer;
  if (D === '') {
    ivs.push([0, Infinity]);
  } else if (dot < 0) {
    if (D === '0') ivs.push([0, integer ? 0 : 1]);
    else {
      const d = Number(D);
      for (let j = 0, p = 1; j <= MAX_INT_DIGITS - D.length; j++, p *= 10) {
        ivs.push([d * p, integer ? (d + 1) * p - 1 : (d + 1) * p]);
      }
    }
  } else {
    const F = body.slice(dot + 1);
    const v = Number(`${D}.${F || '0'}`);
    if (F.length >= MAX_FRAC_DIGITS) ivs.push([v, v]);
    else ivs.push([v, v + 10 ** -F.length]);
  }
  for (const [a, b] of ivs) {
    // magnitude interval → value interval
    let lo: number, hi: number, loOpen: boolean, hiOpen: boolean;
    const halfOpen = !integer && a !== b && !(D === '');
    if (!neg) { lo = a; hi = b; loOpen = false; hiOpen = halfOpen; } else { lo = -b; hi = -a; loOpen = halfOpen; hiOpen = false; }
    if (D === '') { lo = -Infinity; hi = 0; loOpen = true; hiOpen = false; }
    // intersect with the node's bounds
    let L = lo, Lo = loOpen, H = hi, Ho = hiOpen;
    if (node.lo > L || (node.lo === L && node.loOpen)) { L = node.lo; Lo = node.loOpen; }
    if (node.hi < H || (node.hi === H && node.hiOpen)) { H = node.hi; Ho = node.hiOpen; }
    if (integer) {
      if (Math.ceil(L) <= Math.floor(H)) return true;
    } else if (L < H || (L === H && !Lo && !Ho)) return true;
  }
  return false;
}

function numberByte(f: Frame, b: number, out: Frame[]): void {
  const node = f.node;
  const isDigit = b >= CH_0 && b <= CH_9;
  let ph = -1;
  let n = 0;
  switch (f.phase) {
    case N_MINUS:
      if (b === CH_0) ph = N_ZERO;
      else if (isDigit) { ph = N_INT; n = 1; }
      break;
    case N_ZERO:
    case N_INT:
      if (isDigit && f.phase === N_INT && f.n < MAX_INT_DIGITS) { ph = N_INT; n = f.n + 1; }
      else if (b === CH_DOT && !node.integer) ph = N_DOT;
      else if ((b === 0x65 || b === 0x45) && !node.integer && !node.bounded) ph = N_E;
      break;
    case N_DOT:
      if (isDigit) { ph = N_FRAC; n = 1; }
      break;
    case N_FRAC:
      if (isDigit && f.n < MAX_FRAC_DIGITS) { ph = N_FRAC; n = f.n + 1; }
      else if ((b === 0x65 || b === 0x45) && !node.bounded) ph = N_E;
      break;
    case N_E:
      if (b === CH_PLUS || b === CH_MINUS) ph = N_ESIGN;
      else if (isDigit) { ph = N_EXP; n = 1; }
      break;
    case N_ESIGN:
      if (isDigit) { ph = N_EXP; n = 1; }
      break;
    case N_EXP:
      if (isDigit && f.n < MAX_EXP_DIGITS) { ph = N_EXP; n = f.n + 1; }
      break;
  }
  if (ph >= 0) {
    const text = (f.aux as string) + String.fromCharCode(b);
    // bounded: some completion must fit the bounds; exponent digits: the value must stay finite
    const ok = node.bounded ? feasible(node, text) : ph !== N_EXP || Number.isFinite(Number(text));
    if (ok) out.push(new Frame(F_NUM, node, f.parent, ph, n, 0, text));
  }
  if (canEnd(f)) advanceFrame(complete(f), b, out);
}

/** Advances one thread by byte b, appending the resulting threads to `out`. */
function advanceFrame(f: Frame, b: number, out: Frame[]): void {
  switch (f.kind) {
    case F_ROOT:
      if (f.phase === R_START) startValue(f.node, f, b, out);
      return;
    case F_STR: {
      const node = f.node;
      const r = stringByte(f, b, node.counted, node.minLength, node.maxLength);
      if (r === CLOSE) out.push(complete(f));
      else if (r) out.push(r);
      return;
    }
    case F_OBJ: {
      const node = f.node;
      const aux = f.aux as ObjAux;
      switch (f.phase) {
        case O_OPEN:
          if (b === CH_RBRACE) { if (node.requiredCount === 0 && node.minProps === 0) out.push(complete(f)); }
          else if (b === CH_QUOTE) { if (node.maxProps > 0) startKey(f, out); }
          return;
        case O_AFTER_KEY:
          if (b === CH_COLON) out.push(new Frame(F_OBJ, node, f.parent, O_COLON, f.n, 0, aux));
          return;
        case O_COLON:
        case O_COLON_SP: {
          if (b === CH_SPACE && f.phase === O_COLON) {
            out.push(new Frame(F_OBJ, node, f.parent, O_COLON_SP, f.n, 0, aux));
            return;
          }
          const waiting = new Frame(F_OBJ, node, f.parent, O_VALUE, f.n, 0, aux);
          startValue(f.n >= 0 ? node.props[f.n].node : node.additional!, waiting, b, out);
          return;
        }
        case O_COMMA:
        case O_COMMA_SP:
          if (b === CH_SPACE && f.phase === O_COMMA) out.push(new Frame(F_OBJ, node, f.parent, O_COMMA_SP, f.n, 0, aux));
          else if (b === CH_QUOTE) startKey(f, out);
          return;
        case O_AFTER_VALUE:
          if (b === CH_COMMA) { if (moreKeys(node, aux)) out.push(new Frame(F_OBJ, node, f.parent, O_COMMA, -1, 0, aux)); }
          else if (b === CH_RBRACE) { if (aux.nreq === node.requiredCount && aux.count >= node.minProps) out.push(complete(f)); }
          return;
      }
      return;
    }
    case F_KEY: {
      const node = f.node;
      const cands = f.aux as number[];
      const pos = f.n;
      // a '"' inside a canonical key is escaped, so it continues a key; otherwise it closes one
      let next: number[] | null = null;
      for (let k = 0; k < cands.length; k++) {
        const key = node.props[cands[k]].key;
        if (pos < key.length && key[pos] === b) (next ??= []).push(cands[k]);
      }
      if (next) out.push(new Frame(F_KEY, node, f.parent, 0, pos + 1, 0, next));
      else if (b === CH_QUOTE) {
        for (const i of cands) if (node.props[i].key.length === pos) { out.push(keyDone(f, i, null)); return; }
      }
      return;
    }
    case F_XKEY: {
      const r = stringByte(f, b, false, 0, Infinity);
      if (r === CLOSE) {
        const raw = f.aux as string;
        let name: string;
        try {
          const bytes = new Uint8Array(raw.length);
          for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
          name = JSON.parse(`"${utf8Decoder.decode(bytes)}"`) as string;
        } catch {
          return;
        }
        const obj = f.parent!;
        if (obj.node.propIndex.has(name) || (obj.aux as ObjAux).extras.includes(name)) return;
        out.push(keyDone(f, -1, name));
      } else if (r) {
        out.push(new Frame(F_XKEY, r.node, r.parent, r.phase, r.n, r.m, (f.aux as string) + String.fromCharCode(b)));
      }
      return;
    }
    case F_NUM:
      numberByte(f, b, out);
      return;
    case F_PSTR: {
      const r = patternStringByte(f, b);
      if (r === CLOSE) out.push(complete(f));
      else if (r) out.push(r);
      return;
    }
    case F_LIT: {
      const trie = f.node.trie!;
      if (b === CH_SPACE && f.m === 0 && trie.space[f.n]) {
        out.push(new Frame(F_LIT, f.node, f.parent, 0, f.n, 1, null));
        return;
      }
      const c = trie.next[f.n].get(b);
      if (c !== undefined) {
        const g = new Frame(F_LIT, f.node, f.parent, 0, c, 0, null);
        out.push(trie.end[c] && trie.next[c].size === 0 ? complete(g) : g);
      }
      if (canEnd(f)) advanceFrame(complete(f), b, out);
      return;
    }
    case F_ARR: {
      const node = f.node;
      switch (f.phase) {
        case A_OPEN:
          if (b === CH_RBRACKET) { if (node.minItems === 0) out.push(complete(f)); return; }
          if (node.maxItems > 0 && node.itemAt(0)) {
            startValue(node.itemAt(0)!, new Frame(F_ARR, node, f.parent, A_ITEM, 0, 0, null), b, out);
          }
          return;
        case A_AFTER_ITEM:
          if (b === CH_COMMA) {
            if (f.n < node.maxItems && node.itemAt(f.n)) out.push(new Frame(F_ARR, node, f.parent, A_COMMA, f.n, 0, null));
          } else if (b === CH_RBRACKET) {
            if (f.n >= node.minItems) out.push(complete(f));
          }
          return;
        case A_COMMA:
        case A_COMMA_SP:
          if (b === CH_SPACE && f.phase === A_COMMA) { out.push(new Frame(F_ARR, node, f.parent, A_COMMA_SP, f.n, 0, null)); return; }
          startValue(node.itemAt(f.n)!, new Frame(F_ARR, node, f.parent, A_ITEM, f.n, 0, null), b, out);
          return;
      }
      return;
    }
  }
}

/**
 * The state after byte b (DEAD when no thread survives). Inside a string
 * without length limits an ordinary ASCII byte returns `s` itself.
 */
export function step(s: State, b: number): State {
  if (s.length === 1) {
    const f = s[0];
    if (f.kind === F_STR && f.phase === S_NORMAL && b >= 0x20 && b < 0x80 && b !== CH_QUOTE && b !== CH_BACKSLASH && !f.node.counted) return s;
  }
  const out: Frame[] = [];
  for (let i = 0; i < s.length; i++) advanceFrame(s[i], b, out);
  return out.length ? out : DEAD;
}

/**
 * When the state is a single string (a value or a free-form key) between
 * characters: how many more code points it may take (Infinity without
 * maxLength). Plain text (no '"', '\\', control characters; whole UTF-8
 * sequences) of at most that many code points is then accepted. With several
 * threads: Infinity when one of them is such a string without a length limit
 * (it accepts every plain text), otherwise -1. Otherwise -1.
 */
export function plainStringRoom(s: State): number {
  if (s.length === 1) {
    const f = s[0];
    if (f.phase !== S_NORMAL) return -1;
    if (f.kind === F_XKEY) return Infinity;
    if (f.kind !== F_STR) return -1;
    return f.node.maxLength - f.n;
  }
  for (let i = 0; i < s.length; i++) {
    const f = s[i];
    if (f.phase === S_NORMAL && (f.kind === F_XKEY || (f.kind === F_STR && f.node.maxLength === Infinity))) return Infinity;
  }
  return -1;
}

/** When the state is a single pattern-constrained string between characters: its DFA and DFA state. */
export function patternStringState(s: State): { dfa: NonNullable<SchemaNode['pattern']>; d: number } | null {
  if (s.length !== 1) return null;
  const f = s[0];
  if (f.kind !== F_PSTR || f.phase !== S_NORMAL) return null;
  return { dfa: f.node.pattern!, d: f.aux as number };
}

export function isAccepting(s: State): boolean {
  for (let i = 0; i < s.length; i++) if (accepting(s[i])) return true;
  return false;
}

export function initialState(schema: CompiledSchema): State {
  return [new Frame(F_ROOT, schema.root, null, R_START, 0, 0, null)];
}

const encoder = new TextEncoder();

/** A cloneable cursor over a growing document. */
export class JsonMatcher {
  readonly schema: CompiledSchema;
  private s: State;

  constructor(schema: JsonSchema | CompiledSchema, state?: State) {
    this.schema = isCompiled(schema) ? schema : compileSchema(schema);
    this.s = state ?? initialState(this.schema);
  }

  get state(): State {
    return this.s;
  }

  clone(): JsonMatcher {
    return new JsonMatcher(this.schema, this.s);
  }

  /** Consumes one byte if some completion allows it; returns false (and changes nothing) otherwise. */
  advanceByte(b: number): boolean {
    const next = step(this.s, b);
    if (next.length === 0) return false;
    this.s = next;
    return true;
  }

  /** Consumes all bytes, or none if any is rejected. */
  advanceBytes(bytes: ArrayLike<number>): boolean {
    let s = this.s;
    for (let i = 0; i < bytes.length; i++) {
      s = step(s, bytes[i]);
      if (s.length === 0) return false;
    }
    this.s = s;
    return true;
  }

  /** Consumes the UTF-8 of `text`, or nothing if it is not a valid continuation. */
  advance(text: string): boolean {
    return this.advanceBytes(encoder.encode(text));
  }

  /** Would this text be accepted here (state unchanged)? */
  accepts(text: string): boolean {
    return this.clone().advance(text);
  }

  /** Is the text so far a complete, valid document? */
  isComplete(): boolean {
    return isAccepting(this.s);
  }

  /** Can another byte follow? (False once a complete document can take nothing more.) */
  canContinue(): boolean {
    for (let b = 0; b < 256; b++) if (step(this.s, b).length) return true;
    return false;
  }
}

function isCompiled(s: JsonSchema | CompiledSchema): s is CompiledSchema {
  return typeof s === 'object' && s !== null && 'root' in s && 'validate' in s && typeof (s as CompiledSchema).validate === 'function';
}

/** Does `text` match the schema under the formatting policy, as a complete document? */
export function matchesCompletely(schema: JsonSchema | CompiledSchema, text: string): boolean {
  const m = new JsonMatcher(schema);
  return m.advance(text) && m.isComplete();
}
