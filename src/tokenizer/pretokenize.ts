/**
 * BPE pre-tokenizers: split text into the words that byte-level BPE merges inside of,
 * exactly as llama.cpp does (src/unicode.cpp `unicode_regex_split`, src/llama-vocab.cpp).
 *
 * `tokenizer.ggml.pre` picks a list of regular expressions. They are applied one after
 * the other: each splits every piece the previous one produced, and the text between two
 * matches stays a piece of its own (nothing is dropped). A regex only sees its piece, so
 * a lookahead at the end of a piece sees the end of input.
 *
 * Like llama.cpp, the regexes do not run on the raw text:
 * - The GPT-2 and Llama-3 expressions are hand-written scanners in llama.cpp; they are
 *   reproduced here as scanners too, since they differ from the regex in corner cases
 *   (a lone character that fits no alternative becomes a piece of its own; in the Llama-3
 *   scanner " " before a character of no class is a piece of its own).
 * - Expressions using \p{..} run on a "collapsed" text with one byte per code point:
 *   ASCII stays, non-ASCII whitespace becomes \v, other code points become one byte per
 *   Unicode category (N, L, P, M, S, other), and \p{X} becomes that byte plus X's ASCII
 *   members. So \p{P} and \p{S} have llama.cpp's ASCII sets and \s only means ASCII
 *   whitespace plus the non-ASCII White_Space characters.
 * - Other expressions run on the code points with non-ASCII whitespace replaced by \v.
 * - Expressions of the shapes [C]+, [C], [C][C][C], \s?[C]+ and \s+$ are scanned directly (class
 *   membership decided by the same translated class, cached per code point): the same
 *   pieces as the regex, without one regex call per piece.
 *
 * Code point classes come from the JS engine's Unicode tables (llama.cpp's are generated
 * from Python's); they agree except for characters assigned in one version and not the other.
 */

// ---------------------------------------------------------------- code point flags

export const CP_NUMBER = 1;
export const CP_LETTER = 2;
export const CP_WHITESPACE = 4;
export const CP_PUNCTUATION = 8;
export const CP_SYMBOL = 16;
export const CP_MARK = 32;
/** Separators and "other" (control, format, private use, unassigned). Every code point has some flag. */
export const CP_OTHER = 64;
export const CP_CONTROL = 128;

const flagTable = new Uint8Array(0x110000);
const reN = /\p{N}/u, reL = /\p{L}/u, reP = /\p{P}/u, reS = /\p{S}/u, reM = /\p{M}/u, reC = /\p{C}/u;
const reWS = /\p{White_Space}/u;

/** llama.cpp's unicode_cpt_flags for a code point (categories from \p{..}, whitespace = White_Space). */
export function cpFlags(cp: number): number {
  let f = flagTable[cp];
  if (f !== 0) return f;
  const ch = String.fromCodePoint(cp);
  if (reN.test(ch)) f = CP_NUMBER;
  else if (reL.test(ch)) f = CP_LETTER;
  else if (reP.test(ch)) f = CP_PUNCTUATION;
  else if (reS.test(ch)) f = CP_SYMBOL;
  else if (reM.test(ch)) f = CP_MARK;
  else f = CP_OTHER | (reC.test(ch) ? CP_CONTROL : 0);
  if (reWS.test(ch)) f |= CP_WHITESPACE;
  flagTable[cp] = f;
  return f;
}

/** The byte llama.cpp collapses a non-ASCII code point to. */
function collapsedByte(cp: number): number {
  const f = cpFlags(cp);
  if (f & CP_WHITESPACE) return 0x0b;
  if (f & CP_NUMBER) return 0xd1;
  if (f & CP_LETTER) return 0xd2;
  if (f & CP_PUNCTUATION) return 0xd3;
  if (f & CP_MARK) return 0xd4;
  if (f & CP_SYMBOL) return 0xd5;
  return 0xd0;
}

// ---------------------------------------------------------------- pre-tokenizer table

const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const LLAMA3 = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const TEKKEN = String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const DEEPSEEK_LLM = [
  '[\r\n]',
  String.raw`\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ\u{10400}-\u{1044f}𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+`,
  String.raw`\s?[!-/:-~！-／：-～‘-‟　-。]+`,
  String.raw`\s+$`,
  '[一-龥ࠀ-一가-퟿]+',
  String.raw`\p{N}+`,
];
const DEEPSEEK_CODER = ['[\r\n]', String.raw`\s?\p{L}+`, String.raw`\s?\p{P}+`, '[一-龥ࠀ-一가-퟿]+', String.raw`\p{N}`];
const DEEPSEEK_V3 = [
  String.raw`\p{N}{1,3}`,
  '[一-龥\u3040-ゟ゠-ヿ]+',
  '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+',
];
const FALCON = [String.raw`[\p{P}\$\+<=>\^~\|${'`'}]+`, GPT2, '[0-9][0-9][0-9]'];
const STARCODER = [String.raw`\p{N}`, GPT2];
const BLOOM = [String.raw` ?[^(\s|.,!?…。，、।۔،)]+`];
const GPT4O = String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const DEFAULT = [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, '[0-9][0-9][0-9]'];

export interface PreTokenizerSpec {
  /** llama.cpp's pre-tokenizer type this name maps to. */
  type: string;
  exprs: string[];
  /** A word that is itself a token is not merged (Llama 3, Tekken). */
  ignoreMerges: boolean;
  /** decode() removes spaces before punctuation as llama.cpp's clean_spaces does. */
  cleanSpaces: boolean;
  /** Set when llama.cpp forces add_bos for this type (used when the GGUF file has no add_bos_token). */
  addBos?: boolean;
}

type Row = [names: string[], type: string, exprs: string[], opts?: { ignoreMerges?: boolean; cleanSpaces?: boolean; addBos?: boolean }];

// tokenizer.ggml.pre → type, as llama_vocab::impl::load maps them.
const TABLE: Row[] = [
  [['default'], 'default', DEFAULT],
  [['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2'], 'llama3', [LLAMA3], { ignoreMerges: true, addBos: true }],
  [['dbrx'], 'dbrx', [LLAMA3]],
  [['smaug-bpe'], 'smaug', [LLAMA3]],
  [['deepseek-llm'], 'deepseek-llm', DEEPSEEK_LLM, { cleanSpaces: false }],
  [['deepseek-coder'], 'deepseek-coder', DEEPSEEK_CODER, { cleanSpaces: false }],
  [['deepseek-v3'], 'deepseek-v3', DEEPSEEK_V3, { cleanSpaces: false }],
  [['falcon'], 'falcon', FALCON],
  [['mpt'], 'mpt', [GPT2]],
  [['starcoder'], 'starcoder', STARCODER],
  [['gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de', 'a.x-4.0', 'mellum', 'jina-v1-en', 'jina-v2-code', 'roberta-bpe', 'exaone4'], 'gpt-2', [GPT2]],
  [['refact'], 'refact', STARCODER],
  [['command-r'], 'command-r', STARCODER, { cleanSpaces: false }],
  [['qwen2', 'deepseek-r1-qwen', 'kormo'], 'qwen2', [QWEN2], { cleanSpaces: false }],
  [['megrez'], 'qwen2', [QWEN2]],
  [['stablelm2'], 'stablelm2', [QWEN2]],
  [['hunyuan'], 'hunyuan', [QWEN2], { cleanSpaces: false }],
  [['olmo'], 'olmo', [GPT2]],
  [['poro-chat'], 'poro', BLOOM, { cleanSpaces: false }],
  [['bloom'], 'bloom', BLOOM],
  [['gpt3-finnish'], 'gpt3-finnish', BLOOM],
  [['glm4', 'chatglm-bpe'], 'chatglm4', [LLAMA3]],
  [['viking'], 'viking', [...BLOOM, String.raw`\p{N}`], { cleanSpaces: false }],
  [['jais'], 'jais', [GPT2]],
  [['tekken'], 'tekken', [TEKKEN], { cleanSpaces: false, ignoreMerges: true, addBos: true }],
  [['smollm'], 'smollm', STARCODER, { cleanSpaces: false }],
  [['codeshell'], 'codeshell', STARCODER],
  [['exaone'], 'exaone', STARCODER],
  [['minerva-7b'], 'minerva', STARCODER],
  [['gpt-4o', 'llama4', 'minimax-m2'], 'gpt-4o', [GPT4O], { cleanSpaces: false }],
  [['trillion'], 'trillion', [GPT2], { cleanSpaces: false }],
  [['granite-docling'], 'granite-docling', [GPT2], { cleanSpaces: false }],
];

const BY_NAME = new Map<string, Row>();
for (const row of TABLE) for (const n of row[0]) BY_NAME.set(n, row);

/** The pre-tokenizer for a `tokenizer.ggml.pre` value; unknown names fall back to "default" as in llama.cpp. */
export function preTokenizerSpec(pre: string): PreTokenizerSpec {
  const row = BY_NAME.get(pre) ?? BY_NAME.get('default')!;
  const o = row[3] ?? {};
  return { type: row[1], exprs: row[2], ignoreMerges: o.ignoreMerges ?? false, cleanSpaces: o.cleanSpaces ?? true, addBos: o.addBos };
}

/** Names of `tokenizer.ggml.pre` values with their own entry (anything else uses "default"). */
export const KNOWN_PRE_TOKENIZERS: readonly string[] = [...BY_NAME.keys()];

// ---------------------------------------------------------------- regex translation

const WS_CLASS = '\\t\\n\\v\\f\\r ';
const CAT_BYTE: Record<string, string> = { N: '\\xD1', L: '\\xD2', P: '\\xD3', M: '\\xD4', S: '\\xD5' };
const CAT_ASCII: Record<string, string> = {
  N: '0-9',
  L: 'A-Za-z',
  P: '!-#%-*,-/:-;?-@\\[-\\]_\\{\\}',
  M: '',
  S: '\\$\\+<->\\^`\\|',
};

/**
 * Rewrites a llama.cpp expression for JS: \p{X} → llama.cpp's collapsed class, \s / \S →
 * ASCII whitespace (non-ASCII whitespace is \v in the text the regex runs on).
 */
function translate(expr: string, collapsed: boolean): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\' && i + 1 < expr.length) {
      const d = expr[i + 1];
      if (d === 'p' && expr[i + 2] === '{') {
        const close = expr.indexOf('}', i + 3);
        const cat = expr.slice(i + 3, close);
        if (collapsed && cat.length === 1 && cat in CAT_BYTE) {
          const body = CAT_BYTE[cat] + CAT_ASCII[cat];
          out += inside ? body : `[${body}]`;
          i = close;
          continue;
        }
        if (collapsed && cat.length === 2 && cat[0] === 'L') {
          // \p{Lu} etc.: llama.cpp collapses every letter to one byte.
          const body = CAT_BYTE.L + CAT_ASCII.L;
          out += inside ? body : `[${body}]`;
          i = close;
          continue;
        }
      }
      if (d === 's') { out += inside ? WS_CLASS : `[${WS_CLASS}]`; i++; continue; }
      if (d === 'S' && !inside) { out += `[^${WS_CLASS}]`; i++; continue; }
      out += c + d;
      i++;
      continue;
    }
    if (c === '[' && !inside) inside = true;
    else if (c === ']' && inside) inside = false;
    out += c;
  }
  return out;
}

type Splitter =
  | { kind: 'gpt2' }
  | { kind: 'llama3' }
  | { kind: 'collapsed'; re: RegExp }
  | { kind: 'wide'; re: RegExp }
  /** `[C]+` (plus) or `[C]`: runs of / single class members are pieces. */
  | { kind: 'run'; member: ClassTest; plus: boolean }
  /** `\s?[C]+`: an optional whitespace character, then a run of class members. */
  | { kind: 'wsrun'; ws: ClassTest; member: ClassTest }
  /** `[C][C]…[C]` (k times): every k class members in a row. */
  | { kind: 'repeat'; member: ClassTest; k: number }
  /** `\s+$`: the whitespace the piece ends with. */
  | { kind: 'trail'; ws: ClassTest };

/**
 * Membership of a code point in a bracket class, decided by the translated class regex on the
 * character the regex would see (collapsed byte or \v-for-whitespace), cached per code point.
 */
class ClassTest {
  private readonly bmp = new Int8Array(0x10000).fill(-1);
  private readonly astral = new Map<number, boolean>();
  private readonly re: RegExp;
  private readonly collapsed: boolean;

  constructor(cls: string, collapsed: boolean) {
    this.re = new RegExp(`^${cls}$`, collapsed ? '' : 'u');
    this.collapsed = collapsed;
  }

  has(cp: number): boolean {
    if (cp < 0x10000) {
      const v = this.bmp[cp];
      if (v >= 0) return v === 1;
      const r = this.compute(cp);
      this.bmp[cp] = r ? 1 : 0;
      return r;
    }
    let r = this.astral.get(cp);
    if (r === undefined) { r = this.compute(cp); this.astral.set(cp, r); }
    return r;
  }

  private compute(cp: number): boolean {
    let ch: string;
    if (cp < 128) ch = String.fromCharCode(cp);
    else if (this.collapsed) ch = String.fromCharCode(collapsedByte(cp));
    else ch = cpFlags(cp) & CP_WHITESPACE ? '\v' : String.fromCodePoint(cp);
    return this.re.test(ch);
  }
}

const CLASS = String.raw`\[(?:[^\]\\]|\\.)*\]`;
const RE_RUN = new RegExp(`^(${CLASS})(\\+?)$`);
const WS_PREFIX = `[${WS_CLASS}]`;

function compile(expr: string, fast = true): Splitter {
  if (fast && expr === GPT2) return { kind: 'gpt2' };
  if (fast && expr === LLAMA3) return { kind: 'llama3' };
  const collapsed = /\\p\{/.test(expr);
  const js = translate(expr, collapsed);
  if (fast) {
    // Shapes simple enough to scan directly (same pieces as the regex, without a regex call per piece).
    let m = RE_RUN.exec(js);
    if (m) return { kind: 'run', member: new ClassTest(m[1], collapsed), plus: m[2] === '+' };
    if (js.startsWith(WS_PREFIX + '?')) {
      m = RE_RUN.exec(js.slice(WS_PREFIX.length + 1));
      if (m && m[2] === '+') return { kind: 'wsrun', ws: new ClassTest(WS_PREFIX, collapsed), member: new ClassTest(m[1], collapsed) };
    }
    if (js === WS_PREFIX + '+$') return { kind: 'trail', ws: new ClassTest(WS_PREFIX, collapsed) };
    m = new RegExp(`^(${CLASS})`).exec(js);
    if (m && js.length % m[1].length === 0 && js.length > m[1].length && js === m[1].repeat(js.length / m[1].length)) {
      return { kind: 'repeat', member: new ClassTest(m[1], collapsed), k: js.length / m[1].length };
    }
  }
  return collapsed ? { kind: 'collapsed', re: new RegExp(js, 'g') } : { kind: 'wide', re: new RegExp(js, 'gu') };
}

// ---------------------------------------------------------------- splitting

const OUT = -1;

/** Splits text into pre-tokenizer words (in original characters; byte-encoding is the BPE's job). */
export class PreTokenizer {
  readonly spec: PreTokenizerSpec;
  private readonly splitters: Splitter[];

  /** @param fast scan simple expressions directly instead of with the regex (same result; false is for tests) */
  constructor(spec: PreTokenizerSpec, fast = true) {
    this.spec = spec;
    this.splitters = spec.exprs.map((e) => compile(e, fast));
  }

  /** Words of `text` in order; they concatenate to `text`. */
  split(text: string): string[] {
    // Code points and their UTF-16 offsets.
    const n0 = text.length;
    const cps = new Int32Array(n0);
    const unit = new Int32Array(n0 + 1);
    let n = 0;
    for (let i = 0; i < n0; ) {
      let cp = text.charCodeAt(i);
      let w = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n0) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) { cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000; w = 2; }
      }
      cps[n] = cp;
      unit[n] = i;
      n++;
      i += w;
    }
    unit[n] = n0;

    // Pieces as boundaries in code points: piece k is [bounds[k], bounds[k+1]).
    let bounds: number[] = n > 0 ? [0, n] : [0];
    let collapsedText: string | undefined;
    let wideText: string | undefined;
    let wideUnitToCp: Int32Array | undefined;
    let fl: Uint8Array | undefined;
    for (const sp of this.splitters) {
      const out: number[] = [0];
      const add = (end: number) => { if (end > out[out.length - 1]) out.push(end); };
      for (let k = 0; k + 1 < bounds.length; k++) {
        const s = bounds[k], e = bounds[k + 1];
        // A one-character piece stays as it is whatever the expression (it is a match or a gap).
        if (e - s === 1) { add(e); continue; }
        switch (sp.kind) {
          case 'gpt2': splitGpt2(cps, (fl ??= flagsOf(cps, n)), s, e, add); break;
          case 'run': {
            const mem = sp.member;
            for (let p = s; p < e; ) {
              if (!mem.has(cps[p])) { p++; continue; }
              let q = p + 1;
              if (sp.plus) while (q < e && mem.has(cps[q])) q++;
              add(p);
              add(q);
              p = q;
            }
            break;
          }
          case 'wsrun': {
            const mem = sp.member, ws = sp.ws;
            for (let p = s; p < e; ) {
              let start = -1;
              if (p + 1 < e && ws.has(cps[p]) && mem.has(cps[p + 1])) start = p;
              else if (mem.has(cps[p])) start = p;
              if (start < 0) { p++; continue; }
              let q = start === p && !mem.has(cps[p]) ? p + 2 : p + 1;
              while (q < e && mem.has(cps[q])) q++;
              add(start);
              add(q);
              p = q;
            }
            break;
          }
          case 'repeat': {
            const mem = sp.member, k = sp.k;
            for (let p = s; p < e; ) {
              if (!mem.has(cps[p])) { p++; continue; }
              let q = p + 1;
              while (q < e && mem.has(cps[q])) q++;
              for (let g = p; g + k <= q; g += k) { add(g); add(g + k); }
              p = q;
            }
            break;
          }
          case 'trail': {
            let t = e;
            while (t > s && sp.ws.has(cps[t - 1])) t--;
            add(t);
            break;
          }
          case 'llama3': splitLlama3(cps, (fl ??= flagsOf(cps, n)), s, e, add); break;
          case 'collapsed': {
            collapsedText ??= makeCollapsed(cps, n);
            regexSplit(sp.re, collapsedText.slice(s, e), (i) => s + i, e, add);
            break;
          }
          case 'wide': {
            if (wideText === undefined) {
              wideText = makeWide(cps, n, text);
              wideUnitToCp = new Int32Array(n0 + 1);
              for (let j = 0; j <= n; j++) wideUnitToCp[unit[j]] = j;
            }
            const map = wideUnitToCp!;
            const base = unit[s];
            regexSplit(sp.re, wideText.slice(base, unit[e]), (i) => map[base + i], e, add);
            break;
          }
        }
        add(e);
      }
      bounds = out;
    }

    const words: string[] = new Array(bounds.length - 1);
    for (let k = 0; k + 1 < bounds.length; k++) words[k] = text.slice(unit[bounds[k]], unit[bounds[k + 1]]);
    return words;
  }
}

function makeCollapsed(cps: Int32Array, n: number): string {
  const codes = new Uint16Array(n);
  for (let i = 0; i < n; i++) codes[i] = cps[i] < 128 ? cps[i] : collapsedByte(cps[i]);
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, codes.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/** The text with non-ASCII whitespace replaced by \v (same UTF-16 length). */
function makeWide(cps: Int32Array, n: number, text: string): string {
  let any = false;
  for (let i = 0; i < n; i++) if (cps[i] >= 128 && (cpFlags(cps[i]) & CP_WHITESPACE)) { any = true; break; }
  if (!any) return text;
  let s = '';
  for (let i = 0; i < n; i++) {
    const cp = cps[i];
    s += cp >= 128 && (cpFlags(cp) & CP_WHITESPACE) ? '\v' : String.fromCodePoint(cp);
  }
  return s;
}

/** Matches and the gaps between them become pieces (llama.cpp's unicode_regex_split_stl). */
function regexSplit(re: RegExp, sub: string, toCp: (i: number) => number, end: number, add: (end: number) => void): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(sub)) !== null) {
    const len = m[0].length;
    if (len === 0) { re.lastIndex++; continue; }
    add(toCp(m.index));
    add(toCp(m.index + len));
  }
  add(end);
}

/** llama.cpp's scanner for 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ over [s, e). */
/** cpFlags of every code point. */
function flagsOf(cps: Int32Array, n: number): Uint8Array {
  const fl = new Uint8Array(n);
  for (let i = 0; i < n; i++) fl[i] = cpFlags(cps[i]);
  return fl;
}

function splitGpt2(cps: Int32Array, fl: Uint8Array, s: number, e: number, add: (end: number) => void): void {
  const flags = (p: number) => (p < e ? fl[p] : 0); // positions are never below s here
  const cpAt = (p: number) => (p >= s && p < e ? cps[p] : OUT);
  let pos = s;
  while (pos < e) {
    const cp = cps[pos];
    const f = fl[pos];
    if (cp === 0x27 && pos + 1 < e) {
      const c1 = cps[pos + 1];
      if (c1 === 0x73 || c1 === 0x74 || c1 === 0x6d || c1 === 0x64) { pos += 2; add(pos); continue; }
      if (pos + 2 < e) {
        const c2 = cps[pos + 2];
        if ((c1 === 0x72 && c2 === 0x65) || (c1 === 0x76 && c2 === 0x65) || (c1 === 0x6c && c2 === 0x6c)) { pos += 3; add(pos); continue; }
      }
    }
    const space = cp === 0x20 ? 1 : 0;
    let f2 = space ? flags(pos + 1) : f;
    if (f2 & CP_LETTER) {
      pos += space;
      while (f2 & CP_LETTER) f2 = flags(++pos);
      add(pos);
      continue;
    }
    if (f2 & CP_NUMBER) {
      pos += space;
      while (f2 & CP_NUMBER) f2 = flags(++pos);
      add(pos);
      continue;
    }
    if (!(f2 & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) && f2 !== 0) {
      pos += space;
      while (!(f2 & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) && f2 !== 0) f2 = flags(++pos);
      add(pos);
      continue;
    }
    let ws = 0;
    while (flags(pos + ws) & CP_WHITESPACE) ws++;
    if (ws > 1 && cpAt(pos + ws) !== OUT) { pos += ws - 1; add(pos); continue; }
    if (ws > 0) { pos += ws; add(pos); continue; }
    add(++pos);
  }
}

/** llama.cpp's scanner for the Llama 3 expression over [s, e). */
function splitLlama3(cps: Int32Array, fl: Uint8Array, s: number, e: number, add: (end: number) => void): void {
  const flags = (p: number) => (p < e ? fl[p] : 0); // positions are never below s here
  const cpAt = (p: number) => (p >= s && p < e ? cps[p] : OUT);
  const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
  let pos = s;
  while (pos < e) {
    const cp = cps[pos];
    const f = fl[pos];
    if (cp === 0x27 && pos + 1 < e) {
      const c1 = lower(cps[pos + 1]);
      if (c1 === 0x73 || c1 === 0x74 || c1 === 0x6d || c1 === 0x64) { pos += 2; add(pos); continue; }
      if (pos + 2 < e) {
        const c2 = lower(cps[pos + 2]);
        if ((c1 === 0x72 && c2 === 0x65) || (c1 === 0x76 && c2 === 0x65) || (c1 === 0x6c && c2 === 0x6c)) { pos += 3; add(pos); continue; }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(cp === 0x0d || cp === 0x0a || (f & CP_NUMBER))) {
      if ((f & CP_LETTER) || (flags(pos + 1) & CP_LETTER)) {
        pos++;
        while (flags(pos) & CP_LETTER) pos++;
        add(pos);
        continue;
      }
    }
    // \p{N}{1,3}
    if (f & CP_NUMBER) {
      let ini = pos;
      while (flags(pos) & CP_NUMBER) {
        if (++pos - ini >= 3) { add(pos); ini = pos; }
      }
      add(pos);
      continue;
    }
    // ?[^\s\p{L}\p{N}]+[\r\n]*  (llama.cpp tests the flags of the first character, not of the one after the space)
    const space = cp === 0x20 ? 1 : 0;
    let f2 = space ? flags(pos + 1) : f;
    if (!(f2 & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) && f !== 0) {
      pos += space;
      while (!(f2 & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) && f2 !== 0) f2 = flags(++pos);
      let c2 = cpAt(pos);
      while (c2 === 0x0d || c2 === 0x0a) c2 = cpAt(++pos);
      add(pos);
      continue;
    }
    let ws = 0;
    let lastNl = 0;
    while (flags(pos + ws) & CP_WHITESPACE) {
      const c2 = cps[pos + ws];
      if (c2 === 0x0d || c2 === 0x0a) lastNl = pos + ws + 1;
      ws++;
    }
    if (lastNl > 0) { pos = lastNl; add(pos); continue; }
    if (ws > 1 && cpAt(pos + ws) !== OUT) { pos += ws - 1; add(pos); continue; }
    if (ws > 0) { pos += ws; add(pos); continue; }
    add(++pos);
  }
}
