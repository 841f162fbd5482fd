/**
 * JSON-schema subset → a graph of schema nodes the byte matcher (matcher.ts)
 * walks. The compiler resolves `$ref`s (recursion included), turns `type`
 * lists, `anyOf`/`oneOf`, booleans and `null` into alternatives and literal
 * tries, filters `enum`/`const` values by the rest of the schema, and prunes
 * what can never be completed, so that every prefix the matcher accepts can
 * still be finished to a valid document (no dead ends).
 *
 * Supported keywords
 *  - `type` (a name or a list): object, array, string, number, integer, boolean, null.
 *    Without `type`, every type is allowed (with the keywords that apply to it).
 *  - object: `properties`, `required`, `additionalProperties` (boolean or schema),
 *    `minProperties`, `maxProperties`.
 *    GENERATION DEFAULT: when `properties` is given and `additionalProperties`
 *    is not, no other keys are generated (as if `additionalProperties: false`).
 *    An object schema without `properties` allows any keys with any values.
 *    Properties may come in any order, each at most once.
 *  - array: `items` (schema or boolean), `prefixItems`, `minItems`, `maxItems`.
 *  - string: `minLength`, `maxLength` (counted in code points); `pattern`
 *    (an ECMA-262 subset, see regex.ts), also together with the lengths;
 *    `format` date, time, date-time, uuid, email, ipv4 (generated through
 *    patterns that spell a subset of each format: FORMAT_PATTERNS).
 *  - number/integer: `minimum`, `maximum`, `exclusiveMinimum`,
 *    `exclusiveMaximum` (numbers, or draft-4 booleans).
 *  - `enum`, `const`: any JSON values.
 *  - `anyOf`; `oneOf` is generated as `anyOf` (a document can match more than
 *    one branch when the branches overlap); `allOf` with a single subschema.
 *  - `$ref` to `#`, `#/$defs/...`, `#/definitions/...` or any JSON pointer
 *    into the root schema; recursive references work.
 *  - `{}` / `true`: any JSON value; `false`: nothing.
 *  - Annotations are ignored: title, description, default, examples, $schema,
 *    $id, $comment, deprecated, readOnly, writeOnly; so is `uniqueItems: false`.
 * Anything else (other formats, multipleOf, patternProperties, propertyNames, not, ...) throws
 * UnsupportedSchemaError naming the keyword.
 */
import { InvalidArgumentError } from '../errors.ts';
import { compilePattern, PatternError, type PatternDfa } from './regex.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonSchema = boolean | { [keyword: string]: unknown };

/** A schema keyword (or form of one) the compiler does not support. */
export class UnsupportedSchemaError extends InvalidArgumentError {
  override readonly name: string = 'UnsupportedSchemaError';
  /** The keyword, e.g. "pattern". */
  readonly keyword: string;
  /** JSON pointer of the schema that holds it. */
  readonly path: string;
  constructor(keyword: string, path: string, detail?: string) {
    super(`Unsupported JSON schema keyword "${keyword}" at ${path || '#'}${detail ? `: ${detail}` : ''}`);
    this.keyword = keyword;
    this.path = path;
  }
}

export const K_OBJECT = 0;
export const K_ARRAY = 1;
export const K_STRING = 2;
export const K_NUMBER = 3;
export const K_LITERAL = 4;
export const K_ANYOF = 5;
export const K_NEVER = 6;

/** Longest integer part, fraction and exponent the generator writes (see matcher.ts). */
// enough for every number JSON.stringify writes (1e20 has 21 digits, 1.2345678901234567e-6
// is written with 22 fraction digits, 5e-324 has 3 exponent digits)
export const MAX_INT_DIGITS = 21;
export const MAX_FRAC_DIGITS = 24;
export const MAX_EXP_DIGITS = 3;

export interface PropDef {
  name: string;
  /** UTF-8 of JSON.stringify(name) without the quotes: the only spelling generated. */
  key: Uint8Array;
  node: SchemaNode;
  required: boolean;
}

/** A trie over the canonical serializations (JSON.stringify) of enum/const values. */
export interface LiteralTrie {
  next: Map<number, number>[];
  /** A literal ends at this node. */
  end: boolean[];
  /** One optional space may follow this node (after a structural ':' or ','). */
  space: boolean[];
}

export class SchemaNode {
  kind = K_NEVER;
  /** Where it came from (JSON pointer), for messages. */
  path = '';
  // object
  props: PropDef[] = [];
  propIndex = new Map<string, number>();
  requiredCount = 0;
  minProps = 0;
  maxProps = Infinity;
  additional: SchemaNode | null = null;
  // array
  prefixItems: SchemaNode[] = [];
  items: SchemaNode | null = null;
  minItems = 0;
  maxItems = Infinity;
  // string
  minLength = 0;
  maxLength = Infinity;
  /** `pattern` (regex.ts), paired with minLength/maxLength when those are given. */
  pattern: PatternDfa | null = null;
  // number (for integers: closed integer bounds)
  integer = false;
  lo = -Infinity;
  loOpen = false;
  hi = Infinity;
  hiOpen = false;
  // literal
  values: JsonValue[] = [];
  /** enum/const candidates are kept only if they validate against this node. */
  filter: SchemaNode | null = null;
  trie: LiteralTrie | null = null;
  // anyOf
  alts: SchemaNode[] = [];
  // computed
  sat = false;
  /** The non-anyOf nodes a value of this node starts as (anyOf flattened). */
  concrete: SchemaNode[] = [];

  get bounded(): boolean {
    return this.lo !== -Infinity || this.hi !== Infinity;
  }
  get counted(): boolean {
    return this.minLength > 0 || this.maxLength !== Infinity;
  }
  /** Schema of array item i (null: no item i is allowed). */
  itemAt(i: number): SchemaNode | null {
    return i < this.prefixItems.length ? this.prefixItems[i] : this.items;
  }
}

export interface CompiledSchema {
  root: SchemaNode;
  nodes: SchemaNode[];
  /** Does the value validate (full JSON-schema semantics of the subset; no formatting limits)? */
  validate(value: unknown): boolean;
}

const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly',
  '$defs', 'definitions',
]);
/** Keywords that constrain nothing with these values. */
const NO_OPS: Record<string, (v: unknown) => boolean> = {
  uniqueItems: (v) => v === false,
};
const OBJECT_KW = ['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties'];
const ARRAY_KW = ['items', 'prefixItems', 'minItems', 'maxItems'];
const STRING_KW = ['minLength', 'maxLength', 'pattern', 'format'];
const NUMBER_KW = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const SUPPORTED = new Set([
  'type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', ...OBJECT_KW, ...ARRAY_KW, ...STRING_KW, ...NUMBER_KW,
]);
const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

const utf8 = new TextEncoder();

const YEAR = '\\d{4}';
const LEAP_YEAR = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const DATE = `(?:${YEAR}-(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|${YEAR}-(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|` +
  `${YEAR}-02-(?:0[1-9]|1\\d|2[0-8])|${LEAP_YEAR}-02-29)`;
const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)';
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const HEX = '[0-9a-f]';
/**
 * `format` values generated through a pattern: each pattern spells a subset
 * of the format (calendar-exact dates incl. leap years; times with a zone and
 * no leap second; lower-case UUIDs; plain ASCII e-mail addresses within the
 * RFC length limits), so what is
 * generated passes a full format validator.
 */
export const FORMAT_PATTERNS: Record<string, string> = {
  date: `^${DATE}$`,
  time: `^${TIME}$`,
  'date-time': `^${DATE}T${TIME}$`,
  uuid: `^${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}$`,
  // local part ≤ 62 characters, domain labels ≤ 61 (RFC 5321/1035 limits are 64 and 63)
  email: '^[a-z0-9]{1,20}(?:[._-][a-z0-9]{1,20}){0,2}@(?:[a-z0-9]{1,30}(?:-[a-z0-9]{1,30})?\\.){1,4}[a-z]{2,20}$',
  ipv4: `^(?:${OCTET}\\.){3}${OCTET}$`,
};

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Compiler {
  readonly nodes: SchemaNode[] = [];
  private readonly cache = new Map<object, SchemaNode>();
  private readonly resolving = new Set<object>();
  private anyNode: SchemaNode | null = null;

  constructor(private readonly rootSchema: JsonSchema) {}

  newNode(kind: number, path: string): SchemaNode {
    const n = new SchemaNode();
    n.kind = kind;
    n.path = path;
    this.nodes.push(n);
    return n;
  }

  /** The shared "any JSON value" node. */
  any(): SchemaNode {
    if (this.anyNode) return this.anyNode;
    const any = this.newNode(K_ANYOF, '(any)');
    this.anyNode = any;
    const obj = this.newNode(K_OBJECT, '(any object)');
    obj.additional = any;
    const arr = this.newNode(K_ARRAY, '(any array)');
    arr.items = any;
    const str = this.newNode(K_STRING, '(any string)');
    const num = this.newNode(K_NUMBER, '(any number)');
    const lit = this.newNode(K_LITERAL, '(true/false/null)');
    lit.values = [true, false, null];
    any.alts = [obj, arr, str, num, lit];
    return any;
  }

  compile(schema: unknown, path: string): SchemaNode {
    if (schema === true) return this.any();
    if (schema === false) return this.newNode(K_NEVER, path);
    if (!isObj(schema)) throw new InvalidArgumentError(`JSON schema at ${path || '#'} must be an object or a boolean`);
    const cached = this.cache.get(schema);
    if (cached) return cached;
    const alias = this.aliasOf(schema, path);
    if (alias) {
      // a schema that only points elsewhere ($ref, single allOf) is the node it points to
      if (this.resolving.has(schema)) return this.newNode(K_NEVER, path); // a cycle of pure references
      this.resolving.add(schema);
      const node = this.compile(alias.target, alias.path);
      this.resolving.delete(schema);
      this.cache.set(schema, node);
      return node;
    }
    // placeholder first: recursive $refs land here and see the node being built
    const node = this.newNode(K_ANYOF, path);
    this.cache.set(schema, node);
    const built = this.build(schema, path);
    copyInto(node, built);
    return node;
  }

  private aliasOf(s: Record<string, unknown>, path: string): { target: unknown; path: string } | null {
    const keys = Object.keys(s);
    for (const k of keys) {
      if (SUPPORTED.has(k) || ANNOTATIONS.has(k) || NO_OPS[k]?.(s[k])) continue;
      throw new UnsupportedSchemaError(k, path);
    }
    const constraining = keys.filter((k) => SUPPORTED.has(k));
    if ('$ref' in s) {
      const others = constraining.filter((k) => k !== '$ref');
      if (others.length) throw new UnsupportedSchemaError(others[0], path, 'beside "$ref"');
      return { target: this.resolveRef(s.$ref, path), path: refPath(s.$ref) };
    }
    if ('allOf' in s) {
      const all = s.allOf;
      if (!Array.isArray(all) || all.length === 0) throw new InvalidArgumentError(`"allOf" at ${path || '#'} must be a non-empty array`);
      const others = constraining.filter((k) => k !== 'allOf');
      if (all.length !== 1) throw new UnsupportedSchemaError('allOf', path, 'only a single subschema is supported');
      if (others.length) throw new UnsupportedSchemaError(others[0], path, 'beside "allOf"');
      return { target: all[0], path: `${path}/allOf/0` };
    }

    return null;
  }

  private build(s: Record<string, unknown>, path: string): SchemaNode {
    const constraining = Object.keys(s).filter((k) => SUPPORTED.has(k));
    if (constraining.length === 0) return this.any();

    const hasEnum = 'enum' in s || 'const' in s;
    const rest = constraining.filter((k) => k !== 'enum' && k !== 'const');

    let base: SchemaNode;
    const comb = 'anyOf' in s ? 'anyOf' : 'oneOf' in s ? 'oneOf' : null;
    if (comb) {
      if ('anyOf' in s && 'oneOf' in s) throw new UnsupportedSchemaError('oneOf', path, 'beside "anyOf"');
      const others = rest.filter((k) => k !== comb);
      if (others.length) throw new UnsupportedSchemaError(others[0], path, `beside "${comb}"`);
      const list = s[comb];
      if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError(`"${comb}" at ${path || '#'} must be a non-empty array`);
      base = this.newNode(K_ANYOF, path);
      base.alts = list.map((sub, i) => this.compile(sub, `${path}/${comb}/${i}`));
    } else if (rest.length === 0) {
      base = this.any();
    } else {
      base = this.typed(s, path);
    }

    if (!hasEnum) return base;
    let values: unknown[];
    if ('enum' in s) {
      if (!Array.isArray(s.enum)) throw new InvalidArgumentError(`"enum" at ${path || '#'} must be an array`);
      values = s.enum;
      if ('const' in s) values = values.filter((v) => jsonEqual(v, s.const));
    } else {
      values = [s.const];
    }
    for (const v of values) checkJsonValue(v, path);
    const lit = this.newNode(K_LITERAL, path);
    lit.values = values as JsonValue[];
    lit.filter = rest.length ? base : null;
    return lit;
  }

  private typed(s: Record<string, unknown>, path: string): SchemaNode {
    let types: string[];
    if ('type' in s) {
      const t = s.type;
      types = typeof t === 'string' ? [t] : Array.isArray(t) ? (t as string[]) : [];
      if (types.length === 0) throw new InvalidArgumentError(`"type" at ${path || '#'} must be a type name or a non-empty list`);
      for (const name of types) {
        if (!TYPES.includes(name)) throw new InvalidArgumentError(`Unknown type "${String(name)}" at ${path || '#'}`);
      }
    } else {
      types = TYPES.filter((t) => t !== 'integer');
    }
    if (types.includes('number')) types = types.filter((t) => t !== 'integer');
    const alts: SchemaNode[] = [];
    let literals: JsonValue[] = [];
    for (const t of types) {
      switch (t) {
        case 'object': alts.push(this.object(s, path)); break;
        case 'array': alts.push(this.array(s, path)); break;
        case 'string': alts.push(this.string(s, path)); break;
        case 'number': alts.push(this.number(s, path, false)); break;
        case 'integer': alts.push(this.number(s, path, true)); break;
        case 'boolean': literals.push(true, false); break;
        case 'null': literals.push(null); break;
      }
    }
    if (literals.length) {
      const lit = this.newNode(K_LITERAL, path);
      lit.values = literals;
      alts.push(lit);
      literals = [];
    }
    if (alts.length === 1) return alts[0];
    const any = this.newNode(K_ANYOF, path);
    any.alts = alts;
    return any;
  }

  private object(s: Record<string, unknown>, path: string): SchemaNode {
    const n = this.newNode(K_OBJECT, path);
    const props = s.properties;
    if (props !== undefined && !isObj(props)) throw new InvalidArgumentError(`"properties" at ${path || '#'} must be an object`);
    const ap = s.additionalProperties;
    if (ap === undefined) n.additional = props ? null : this.any();
    else if (ap === false) n.additional = null;
    else n.additional = this.compile(ap, `${path}/additionalProperties`);
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) {
      throw new InvalidArgumentError(`"required" at ${path || '#'} must be an array of strings`);
    }
    const req = new Set(required as string[]);
    const add = (name: string, node: SchemaNode) => {
      n.propIndex.set(name, n.props.length);
      n.props.push({ name, key: utf8.encode(JSON.stringify(name).slice(1, -1)), node, required: req.has(name) });
    };
    if (props) for (const [name, sub] of Object.entries(props)) add(name, this.compile(sub, `${path}/properties/${escapePointer(name)}`));
    for (const name of req) {
      if (n.propIndex.has(name)) continue;
      // a required key that is not declared: it must come through additionalProperties
      add(name, n.additional ?? this.newNode(K_NEVER, `${path}/required`));
    }
    n.requiredCount = req.size;
    n.minProps = count(s, 'minProperties', path) ?? 0;
    n.maxProps = count(s, 'maxProperties', path) ?? Infinity;
    return n;
  }

  private array(s: Record<string, unknown>, path: string): SchemaNode {
    const n = this.newNode(K_ARRAY, path);
    if ('prefixItems' in s) {
      if (!Array.isArray(s.prefixItems)) throw new InvalidArgumentError(`"prefixItems" at ${path || '#'} must be an array`);
      n.prefixItems = s.prefixItems.map((sub, i) => this.compile(sub, `${path}/prefixItems/${i}`));
    }
    if (Array.isArray(s.items)) throw new UnsupportedSchemaError('items', path, 'the array form (use prefixItems)');
    n.items = s.items === undefined ? this.any() : this.compile(s.items, `${path}/items`);
    n.minItems = count(s, 'minItems', path) ?? 0;
    n.maxItems = count(s, 'maxItems', path) ?? Infinity;
    return n;
  }

  private string(s: Record<string, unknown>, path: string): SchemaNode {
    const n = this.newNode(K_STRING, path);
    n.minLength = count(s, 'minLength', path) ?? 0;
    n.maxLength = count(s, 'maxLength', path) ?? Infinity;
    let pattern = s.pattern;
    if (s.format !== undefined) {
      const fp = typeof s.format === 'string' ? FORMAT_PATTERNS[s.format] : undefined;
      if (!fp) throw new UnsupportedSchemaError('format', path, `supported: ${Object.keys(FORMAT_PATTERNS).join(', ')}; got ${JSON.stringify(s.format)}`);
      if (pattern !== undefined) throw new UnsupportedSchemaError('format', path, 'together with "pattern"');
      pattern = fp;
    }
    if (pattern !== undefined) {
      if (typeof pattern !== 'string') throw new InvalidArgumentError(`"pattern" at ${path || '#'} must be a string`);
      try {
        n.pattern = compilePattern(pattern, n.minLength, n.maxLength);
      } catch (e) {
        if (e instanceof PatternError) throw new UnsupportedSchemaError('pattern', path, e.message);
        throw e;
      }
    }
    return n;
  }

  private number(s: Record<string, unknown>, path: string, integer: boolean): SchemaNode {
    const n = this.newNode(K_NUMBER, path);
    n.integer = integer;
    const num = (k: string): number | undefined => {
      const v = s[k];
      if (v === undefined || typeof v === 'boolean') return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`"${k}" at ${path || '#'} must be a number`);
      return v;
    };
    const tighten = (v: number | undefined, open: boolean, low: boolean) => {
      if (v === undefined) return;
      if (low) {
        if (v > n.lo || (v === n.lo && open)) { n.lo = v; n.loOpen = open; }
      } else if (v < n.hi || (v === n.hi && open)) { n.hi = v; n.hiOpen = open; }
    };
    const min = num('minimum');
    const max = num('maximum');
    tighten(min, s.exclusiveMinimum === true, true);
    tighten(max, s.exclusiveMaximum === true, false);
    tighten(num('exclusiveMinimum'), true, true);
    tighten(num('exclusiveMaximum'), true, false);
    if (s.exclusiveMinimum === true && min === undefined) throw new InvalidArgumentError(`"exclusiveMinimum": true at ${path || '#'} needs "minimum"`);
    if (s.exclusiveMaximum === true && max === undefined) throw new InvalidArgumentError(`"exclusiveMaximum": true at ${path || '#'} needs "maximum"`);
    if (integer) {
      if (n.lo !== -Infinity) n.lo = n.loOpen ? Math.floor(n.lo) + 1 : Math.ceil(n.lo);
      if (n.hi !== Infinity) n.hi = n.hiOpen ? Math.ceil(n.hi) - 1 : Math.floor(n.hi);
      n.loOpen = n.hiOpen = false;
    }
    return n;
  }

  private resolveRef(ref: unknown, path: string): unknown {
    if (typeof ref !== 'string' || !ref.startsWith('#')) {
      throw new UnsupportedSchemaError('$ref', path, `only references into the same schema ("#/...") are supported, got ${JSON.stringify(ref)}`);
    }
    let target: unknown = this.rootSchema;
    const pointer = decodeURIComponent(ref.slice(1));
    if (pointer !== '') {
      if (!pointer.startsWith('/')) throw new UnsupportedSchemaError('$ref', path, `anchors are not supported (${ref})`);
      for (const raw of pointer.slice(1).split('/')) {
        const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        if (Array.isArray(target)) target = target[Number(part)];
        else if (isObj(target)) target = target[part];
        else target = undefined;
        if (target === undefined) throw new InvalidArgumentError(`$ref ${ref} at ${path || '#'} does not resolve`);
      }
    }
    return target;
  }
}

function refPath(ref: unknown): string {
  return typeof ref === 'string' ? ref.slice(1) : '';
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function count(s: Record<string, unknown>, k: string, path: string): number | undefined {
  const v = s[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`"${k}" at ${path || '#'} must be a non-negative integer`);
  return v;
}

function copyInto(dst: SchemaNode, src: SchemaNode): void {
  const path = dst.path;
  Object.assign(dst, src);
  dst.path = path;
}

function checkJsonValue(v: unknown, path: string): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`enum/const at ${path || '#'}: ${v} is not a JSON number`);
    return;
  }
  if (Array.isArray(v)) { for (const x of v) checkJsonValue(x, path); return; }
  if (isObj(v)) { for (const x of Object.values(v)) checkJsonValue(x, path); return; }
  throw new InvalidArgumentError(`enum/const at ${path || '#'}: not a JSON value`);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ka = Object.keys(ao);
  if (ka.length !== Object.keys(bo).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Full validation of a value against a compiled node. */
export function validateNode(node: SchemaNode, v: unknown): boolean {
  switch (node.kind) {
    case K_NEVER: return false;
    case K_ANYOF: return node.alts.some((a) => validateNode(a, v));
    case K_LITERAL: return node.values.some((x) => jsonEqual(x, v));
    case K_STRING: {
      if (typeof v !== 'string') return false;
      const n = codePointLength(v);
      if (node.pattern && !node.pattern.matches(v)) return false;
      return n >= node.minLength && n <= node.maxLength;
    }
    case K_NUMBER: {
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if (node.integer && !Number.isInteger(v)) return false;
      return inBounds(node, v);
    }
    case K_ARRAY: {
      if (!Array.isArray(v)) return false;
      if (v.length < node.minItems || v.length > node.maxItems) return false;
      return v.every((x, i) => {
        const item = node.itemAt(i);
        return item !== null && validateNode(item, x);
      });
    }
    case K_OBJECT: {
      if (!isObj(v)) return false;
      for (const [k, x] of Object.entries(v)) {
        const i = node.propIndex.get(k);
        const sub = i !== undefined ? node.props[i].node : node.additional;
        if (!sub || !validateNode(sub, x)) return false;
      }
      const keys = Object.keys(v).length;
      if (keys < node.minProps || keys > node.maxProps) return false;
      return node.props.every((p) => !p.required || Object.prototype.hasOwnProperty.call(v, p.name));
    }
  }
  return false;
}

export function inBounds(node: SchemaNode, x: number): boolean {
  if (x < node.lo || (node.loOpen && x === node.lo)) return false;
  if (x > node.hi || (node.hiOpen && x === node.hi)) return false;
  return true;
}

// ---- finishing: literal tries, satisfiability, pruning, anyOf flattening ----

/** Positions in a canonical serialization after which one optional space may come. */
function spacePositions(text: string): boolean[] {
  const out: boolean[] = new Array(text.length).fill(false);
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ':' || c === ',') out[i] = true;
  }
  return out;
}

function buildTrie(values: JsonValue[]): LiteralTrie {
  const trie: LiteralTrie = { next: [new Map()], end: [false], space: [false] };
  for (const v of values) {
    const text = JSON.stringify(v);
    const flags = spacePositions(text);
    // flags are per UTF-16 unit; map to bytes (structural ':' and ',' are ASCII)
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      const bytes = utf8.encode(String.fromCodePoint(cp));
      if (cp > 0xffff) i++;
      for (const b of bytes) {
        let c = trie.next[node].get(b);
        if (c === undefined) {
          c = trie.next.length;
          trie.next.push(new Map());
          trie.end.push(false);
          trie.space.push(false);
          trie.next[node].set(b, c);
        }
        node = c;
      }
      if (flags[i]) trie.space[node] = true;
    }
    trie.end[node] = true;
  }
  return trie;
}

function numberSat(n: SchemaNode): boolean {
  if (n.integer) {
    return n.lo <= n.hi && Math.abs(n.lo === -Infinity ? 0 : n.lo) < 10 ** MAX_INT_DIGITS &&
      Math.abs(n.hi === Infinity ? 0 : n.hi) < 10 ** MAX_INT_DIGITS;
  }
  // bounded numbers are written without an exponent: at most MAX_INT_DIGITS integer digits
  const lim = 10 ** MAX_INT_DIGITS;
  if (n.bounded && (n.lo >= lim || n.hi <= -lim)) return false;
  return n.lo < n.hi || (n.lo === n.hi && !n.loOpen && !n.hiOpen);
}

function finish(nodes: SchemaNode[]): void {
  // enum/const values that fail the rest of the schema are dropped
  for (const n of nodes) {
    if (n.kind !== K_LITERAL) continue;
    const filter = n.filter;
    if (filter) n.values = n.values.filter((v) => validateNode(filter, v));
    n.trie = buildTrie(n.values);
  }
  // least fixpoint of "some finite document matches"
  for (const n of nodes) n.sat = false;
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (n.sat) continue;
      let s = false;
      switch (n.kind) {
        case K_NEVER: s = false; break;
        case K_LITERAL: s = n.values.length > 0; break;
        case K_STRING: s = n.minLength <= n.maxLength && (!n.pattern || n.pattern.start >= 0); break;
        case K_NUMBER: s = numberSat(n); break;
        case K_ANYOF: s = n.alts.some((a) => a.sat); break;
        case K_ARRAY: {
          s = n.minItems <= n.maxItems;
          for (let i = 0; s && i < n.minItems; i++) s = !!n.itemAt(i)?.sat;
          break;
        }
        case K_OBJECT: {
          const available = n.additional?.sat ? Infinity : n.props.filter((p) => p.node.sat).length;
          s = n.props.every((p) => !p.required || p.node.sat) && n.requiredCount <= n.maxProps &&
            n.minProps <= n.maxProps && n.minProps <= available;
          break;
        }
      }
      if (s) { n.sat = true; changed = true; }
    }
  }
  // prune what cannot be completed
  for (const n of nodes) {
    if (n.kind === K_ANYOF) n.alts = n.alts.filter((a) => a.sat);
    if (n.kind === K_OBJECT) {
      if (n.additional && !n.additional.sat) n.additional = null;
    }
    if (n.kind === K_ARRAY) {
      if (n.items && !n.items.sat) n.items = null;
      // a prefix item that cannot be produced caps the array before it
      for (let i = 0; i < n.prefixItems.length; i++) {
        if (!n.prefixItems[i].sat) {
          n.maxItems = Math.min(n.maxItems, i);
          break;
        }
      }
      if (n.prefixItems.length && n.items === null) n.maxItems = Math.min(n.maxItems, n.prefixItems.length);
      if (n.prefixItems.length === 0 && n.items === null) n.maxItems = 0;
    }
  }
  for (const n of nodes) n.concrete = flatten(n);
}

function flatten(n: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [];
  const seen = new Set<SchemaNode>();
  const walk = (x: SchemaNode) => {
    if (seen.has(x) || !x.sat) return;
    seen.add(x);
    if (x.kind === K_ANYOF) x.alts.forEach(walk);
    else out.push(x);
  };
  walk(n);
  return out;
}

/** Compiles a JSON schema (subset, see the file comment). Throws if nothing can match it. */
export function compileSchema(schema: JsonSchema): CompiledSchema {
  const c = new Compiler(schema);
  const root = c.compile(schema, '');
  finish(c.nodes);
  if (!root.sat) throw new InvalidArgumentError('The JSON schema cannot be satisfied by any (finite) document');
  return { root, nodes: c.nodes, validate: (v) => validateNode(root, v) };
}
