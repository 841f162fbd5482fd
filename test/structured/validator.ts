/**
 * A small JSON-schema validator for the tests, written independently of
 * src/structured (it reads the raw schema, not the compiled nodes), for the
 * subset the compiler supports. additionalProperties defaults to false when
 * `properties` is present, as the generator's documented policy says.
 */
type Schema = boolean | Record<string, unknown>;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Format checks written from the RFCs (not from the generator's patterns). */
function checkFormat(format: string, v: string): boolean {
  switch (format) {
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      if (!m) return false;
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
      return mo >= 1 && mo <= 12 && d >= 1 && d <= days;
    }
    case 'time': {
      const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-](\d{2}):(\d{2}))?$/i.exec(v);
      if (!m) return false;
      const ok = (x: string | undefined, max: number) => x === undefined || Number(x) <= max;
      return ok(m[1], 23) && ok(m[2], 59) && ok(m[3], 59) && ok(m[6], 23) && ok(m[7], 59);
    }
    case 'date-time': {
      const i = v.search(/[tT ]/);
      return i > 0 && checkFormat('date', v.slice(0, i)) && checkFormat('time', v.slice(i + 1)) && /(z|[+-]\d\d:\d\d)$/i.test(v);
    }
    case 'uuid': return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
    case 'email': return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) && !/\.\.|^\.|\.@|@\./.test(v);
    case 'ipv4': {
      const parts = v.split('.');
      return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
    }
  }
  return true;
}

export function validate(schema: Schema, value: unknown, root: Schema = schema): boolean {
  if (schema === true) return true;
  if (schema === false) return false;
  const s = schema;
  if (typeof s.$ref === 'string') {
    let t: unknown = root;
    for (const part of s.$ref.slice(2).split('/').filter(Boolean)) t = (t as Record<string, unknown>)[part];
    if (!validate(t as Schema, value, root)) return false;
  }
  if (Array.isArray(s.allOf) && !s.allOf.every((x) => validate(x as Schema, value, root))) return false;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => validate(x as Schema, value, root))) return false;
  if (Array.isArray(s.oneOf) && s.oneOf.filter((x) => validate(x as Schema, value, root)).length !== 1) return false;
  if ('const' in s && !deepEqual(s.const, value)) return false;
  if (Array.isArray(s.enum) && !s.enum.some((x) => deepEqual(x, value))) return false;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(value);
    const ok = types.some((x) => x === t || (x === 'integer' && t === 'number' && Number.isInteger(value)));
    if (!ok) return false;
  }
  const t = typeOf(value);
  if (t === 'string') {
    const n = [...(value as string)].length;
    if (typeof s.minLength === 'number' && n < s.minLength) return false;
    if (typeof s.maxLength === 'number' && n > s.maxLength) return false;
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value as string)) return false;
    if (typeof s.format === 'string' && !checkFormat(s.format, value as string)) return false;
  }
  if (t === 'number') {
    const x = value as number;
    if (!Number.isFinite(x)) return false;
    if (typeof s.minimum === 'number' && x < s.minimum) return false;
    if (typeof s.maximum === 'number' && x > s.maximum) return false;
    if (typeof s.exclusiveMinimum === 'number' && x <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === 'number' && x >= s.exclusiveMaximum) return false;
  }
  if (t === 'array') {
    const a = value as unknown[];
    if (typeof s.minItems === 'number' && a.length < s.minItems) return false;
    if (typeof s.maxItems === 'number' && a.length > s.maxItems) return false;
    const prefix = (s.prefixItems as Schema[] | undefined) ?? [];
    for (let i = 0; i < a.length; i++) {
      const sub = i < prefix.length ? prefix[i] : ((s.items as Schema | undefined) ?? true);
      if (!validate(sub, a[i], root)) return false;
    }
  }
  if (t === 'object') {
    const o = value as Record<string, unknown>;
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    const extra = (s.additionalProperties as Schema | undefined) ?? (s.properties ? false : true);
    for (const [k, v] of Object.entries(o)) {
      const sub = Object.prototype.hasOwnProperty.call(props, k) ? props[k] : extra;
      if (!validate(sub, v, root)) return false;
    }
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) return false;
    const n = Object.keys(o).length;
    if (typeof s.minProperties === 'number' && n < s.minProperties) return false;
    if (typeof s.maxProperties === 'number' && n > s.maxProperties) return false;
  }
  return true;
}
