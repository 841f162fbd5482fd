/**
 * JSON-schema constraint cost per token: `npx tsx bench/structured.ts`
 *
 * For each vocabulary, a typical object schema and one document: the token
 * sequence is the longest allowed token matching the document at each step
 * (computed once). Then the sequence is replayed (a fresh JsonSchemaConstraint
 * per replay; 3 warm-up replays, 20 timed): per step, maskLogits() on a
 * vocabulary-sized logits array, then accept(). Per step the median over the
 * replays; reported: the mean over the document's steps (= ms per token for
 * this document), the median step, the slowest step, and means per kind of
 * step (structure / inside a string / number). The trie build (once per
 * tokenizer, cached) is timed apart. Writes bench/results/structured.md.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGGUF } from '../src/gguf/reader.ts';
import { createTokenizer, type Tokenizer } from '../src/tokenizer/index.ts';
import { JsonSchemaConstraint } from '../src/structured/constraint.ts';
import { compileSchema } from '../src/structured/schema.ts';
import { buildTokenTrie, tokenTrieFor } from '../src/structured/token-trie.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vocabDir = path.resolve(root, '..', 'shared', 'testdata', 'vocab');
const VOCABS = ['llama-spm', 'gpt-2', 'deepseek-llm'];
const WARMUP = 3;
const RUNS = 20;

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 40 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    email: { type: 'string' },
    active: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string', maxLength: 16 }, maxItems: 5 },
    address: {
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' }, zip: { type: 'string', maxLength: 10 } },
      required: ['city'],
    },
    role: { enum: ['admin', 'editor', 'viewer'] },
  },
  required: ['name', 'age', 'active'],
};
const DOC = '{"name": "Jane Müller-Smith", "age": 42, "email": "jane.smith@example.com", "active": true, ' +
  '"tags": ["engineer", "runner", "café"], "address": {"street": "12 Rue de la Paix", "city": "Paris", "zip": "75002"}, "role": "editor"}';

const SCHEMA2 = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[A-Z]{2}-\\d{4}$' },
    date: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' },
    status: { anyOf: [{ const: 'open' }, { const: 'closed' }, { type: 'null' }] },
    score: { type: 'number', minimum: 0, maximum: 1 },
    items: { type: 'array', items: { $ref: '#/$defs/item' }, maxItems: 10 },
  },
  required: ['id', 'date', 'items'],
  additionalProperties: { type: 'string' },
  $defs: { item: { type: 'object', properties: { sku: { type: 'string', pattern: '^[a-z0-9]{3,8}$' }, qty: { type: 'integer', minimum: 1 } }, required: ['sku', 'qty'] } },
};
const DOC2 = '{"id": "QX-2024", "date": "2024-05-01", "status": "open", "score": 0.875, "items": [{"sku": "abc123", "qty": 2}, ' +
  '{"sku": "zz9", "qty": 10}], "note": "deliver before noon"}';
const CASES = [
  { name: 'typical object', schema: SCHEMA, doc: DOC },
  { name: 'patterns, anyOf, $ref, extra keys', schema: SCHEMA2, doc: DOC2 },
];

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function tokensFor(tok: Tokenizer, compiled: ReturnType<typeof compileSchema>, text: string): { ids: number[]; kinds: string[] } {
  const doc = new TextEncoder().encode(text);
  const c = new JsonSchemaConstraint(compiled, tok);
  const bytes = tokenTrieFor(tok).tokenBytes;
  const ids: number[] = [];
  const kinds: string[] = [];
  let pos = 0;
  let inString = false;
  while (pos < doc.length) {
    let best = -1;
    let bl = 0;
    for (const id of c.allowedTokens()) {
      const b = bytes[id];
      if (b.length <= bl || pos + b.length > doc.length) continue;
      let ok = true;
      for (let i = 0; i < b.length && ok; i++) ok = doc[pos + i] === b[i];
      if (ok) { best = id; bl = b.length; }
    }
    if (best < 0) throw new Error(`no token continues at byte ${pos}`);
    const ch = String.fromCharCode(doc[pos]);
    kinds.push(inString ? 'string' : /[-0-9]/.test(ch) ? 'number' : 'structure');
    for (let i = 0; i < bl; i++) if (doc[pos + i] === 0x22 && doc[pos + i - 1] !== 0x5c) inString = !inString;
    c.accept(best);
    ids.push(best);
    pos += bl;
  }
  if (!c.isComplete()) throw new Error('document incomplete');
  ids.push(tok.eosId);
  kinds.push('structure');
  return { ids, kinds };
}

interface Row {
  schema: string;
  vocab: string; size: number; trieNodes: number; restNodes: number; plain: number; buildMs: number; tokens: number;
  mean: number; med: number; max: number; freshMean: number; acceptMean: number; byKind: Record<string, { n: number; mean: number }>;
}

const rows: Row[] = [];
for (const { name: caseName, schema, doc } of CASES) {
const compiled = compileSchema(schema);
for (const name of VOCABS) {
  const tok = createTokenizer(parseGGUF(new Uint8Array(readFileSync(path.join(vocabDir, `ggml-vocab-${name}.gguf`)))));
  const t0 = performance.now();
  const trie = buildTokenTrie(tok);
  const buildMs = performance.now() - t0;
  const { ids, kinds } = tokensFor(tok, compiled, doc);
  const logits = new Float32Array(tok.vocab.tokens.length);
  const times: number[][] = ids.map(() => []);
  const accepts: number[][] = ids.map(() => []);
  const fresh: number[][] = ids.map(() => []);
  for (let r = 0; r < WARMUP + RUNS; r++) {
    // the same steps with the mask recomputed every time (no reuse across an unchanged state)
    const c = new JsonSchemaConstraint(compiled, tok);
    for (let k = 0; k < ids.length; k++) {
      logits.fill(0);
      (c as unknown as { markedState: unknown }).markedState = null;
      const a = performance.now();
      c.maskLogits(logits);
      if (r >= WARMUP) fresh[k].push(performance.now() - a);
      c.accept(ids[k]);
    }
  }
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const c = new JsonSchemaConstraint(compiled, tok);
    for (let k = 0; k < ids.length; k++) {
      logits.fill(0);
      const a = performance.now();
      c.maskLogits(logits);
      const b = performance.now();
      c.accept(ids[k]);
      const e = performance.now();
      if (r >= WARMUP) { times[k].push(b - a); accepts[k].push(e - b); }
    }
    if (!c.isFinished()) throw new Error('not finished');
  }
  const per = times.map(median);
  const byKind: Record<string, { n: number; mean: number }> = {};
  per.forEach((t, k) => {
    const e = (byKind[kinds[k]] ??= { n: 0, mean: 0 });
    e.mean += t;
    e.n++;
  });
  for (const e of Object.values(byKind)) e.mean /= e.n;
  rows.push({
    schema: caseName,
    vocab: name, size: trie.vocabSize, trieNodes: trie.all.size, restNodes: trie.rest.size, plain: trie.plainIds.length, buildMs,
    tokens: ids.length, mean: per.reduce((a, b) => a + b, 0) / per.length, med: median(per), max: Math.max(...per),
    freshMean: fresh.map(median).reduce((a, b) => a + b, 0) / ids.length,
    acceptMean: accepts.map(median).reduce((a, b) => a + b, 0) / ids.length, byKind,
  });
  console.log(rows[rows.length - 1]);
}
}

const cpu = os.cpus()[0]?.model ?? 'unknown';
const f = (x: number) => x.toFixed(3);
const md = `# JSON-schema constraint cost per token

Command: \`npx tsx bench/structured.ts\`  
Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.release()} ${os.arch()}  
CPU: ${cpu} (${os.cpus().length} logical CPUs; load average ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} when done; a shared VM with other jobs running)  
Date: ${new Date().toISOString()}

Method: the schema below and one document written under the formatting policy (single spaces after ':' and ','); the token
sequence is the longest allowed token matching the document at each step, then EOS. Each of ${RUNS} timed replays (after ${WARMUP}
warm-up replays) uses a fresh JsonSchemaConstraint and runs, per token, \`maskLogits\` (trie walk + writing -Infinity over
the vocabulary) and \`accept\`. Per step the median over the replays. "ms/token" is the mean over the document's steps.
A step inside an unconstrained string that only adds ASCII keeps the same matcher state, and its mask is reused (that
is part of what is measured, as it would be in generation).

${CASES.map((c) => `Case "${c.name}":  \nSchema: \`${JSON.stringify(c.schema)}\`  \nDocument: \`${c.doc}\``).join('\n\n')}

| case | vocabulary | tokens | trie nodes (all / non-plain) | plain tokens | trie build ms (once) | steps | **mask ms/token** | median step ms | slowest step ms | structure ms | in string ms | number ms | ms/token, mask never reused | accept ms |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.schema} | ${r.vocab} | ${r.size} | ${r.trieNodes} / ${r.restNodes} | ${r.plain} | ${r.buildMs.toFixed(0)} | ${r.tokens} | **${f(r.mean)}** | ${f(r.med)} | ${f(r.max)} | ${f(r.byKind.structure?.mean ?? 0)} (${r.byKind.structure?.n ?? 0}) | ${f(r.byKind.string?.mean ?? 0)} (${r.byKind.string?.n ?? 0}) | ${f(r.byKind.number?.mean ?? 0)} (${r.byKind.number?.n ?? 0}) | ${f(r.freshMean)} | ${f(r.acceptMean)} |`).join('\n')}

Per-kind columns: mean ms over the steps of that kind (number of steps in parentheses); the kind is where the token starts
(a token like \` 42\` that starts with the space after ':' counts as structure). "mask never reused": the same replay with
the cached mask dropped before every step. The trie build is the one-time cost per tokenizer (the first constraint
built for a tokenizer pays it; later ones reuse it).
`;
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'structured.md'), md);
console.log(md);
