/**
 * Tokenizer throughput: MB/s (UTF-8 bytes of input per second) for encode() over a whole
 * corpus file in one call, add_special off, parse_special off.
 * "cold": a freshly built tokenizer, first call (caches empty).
 * "warm": median of the next 5 calls on the same tokenizer (word / segment caches filled),
 * by wall time and by process CPU time.
 *
 *   npx tsx bench/tokenizer.ts [--append bench/results/tokenizer.md]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGGUF } from '../src/gguf/reader.ts';
import { createTokenizer } from '../src/tokenizer/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testdata = path.resolve(root, '..', 'shared', 'testdata');

const CASES: [model: string, corpus: string][] = [
  ['vocab/ggml-vocab-gpt-2.gguf', 'corpus/wiki.test.raw'],
  ['vocab/ggml-vocab-deepseek-llm.gguf', 'corpus/wiki.test.raw'],
  ['vocab/ggml-vocab-falcon.gguf', 'corpus/wiki.test.raw'],
  ['models/stories260K.gguf', 'corpus/tinystories_val.txt'],
  ['vocab/ggml-vocab-llama-spm.gguf', 'corpus/tinystories_val.txt'],
  ['vocab/ggml-vocab-llama-spm.gguf', 'corpus/wiki.test.raw'],
];

const rows: string[] = [];
for (const [model, corpus] of CASES) {
  const file = parseGGUF(new Uint8Array(fs.readFileSync(path.join(testdata, model))));
  const text = fs.readFileSync(path.join(testdata, corpus), 'utf8');
  const mb = Buffer.byteLength(text, 'utf8') / 1e6;
  const t0 = performance.now();
  const tok = createTokenizer(file);
  const tBuild = performance.now() - t0;
  const t1 = performance.now();
  const ids = tok.encode(text, { addSpecial: false });
  const cold = performance.now() - t1;
  const warm: number[] = [];
  const warmCpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    tok.encode(text, { addSpecial: false });
    warm.push(performance.now() - t);
    const d = process.cpuUsage(c);
    warmCpu.push((d.user + d.system) / 1000);
  }
  const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const w = median(warm), wc = median(warmCpu), wb = Math.min(...warmCpu);
  const row = `| ${path.basename(model)} (${tok.vocab.model}/${tok.vocab.pre}) | ${path.basename(corpus)} | ${mb.toFixed(2)} | ${ids.length} | ${tBuild.toFixed(0)} | ${(mb / (cold / 1000)).toFixed(1)} | ${(mb / (w / 1000)).toFixed(1)} | ${(mb / (wc / 1000)).toFixed(1)} | ${(mb / (wb / 1000)).toFixed(1)} |`;
  rows.push(row);
  console.log(row);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const report = [
  '',
  `## ${new Date().toISOString().slice(0, 10)}: encode throughput`,
  '',
  `Command: \`npx tsx bench/tokenizer.ts --append bench/results/tokenizer.md\`; Node ${process.version}; ${cpu} (${os.cpus().length} logical CPUs); ${os.platform()} ${os.arch()}; load average at start ${os.loadavg()[0].toFixed(1)} (shared machine: other jobs were running).`,
  'One encode() call over the whole file, add_special and parse_special off. cold = fresh tokenizer, first call (includes JIT warm-up); warm = median of 5 further calls (caches filled); "warm, CPU time" divides by the process CPU time of those calls instead of wall time (less affected by other jobs), median and best of the 5. MB = 10^6 UTF-8 bytes.',
  '',
  '| vocab (model/pre) | corpus | MB | tokens | build ms | cold MB/s | warm MB/s | warm MB/s, CPU time | best warm MB/s, CPU time |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');

const i = process.argv.indexOf('--append');
if (i >= 0) {
  const out = path.resolve(process.argv[i + 1] ?? path.join(root, 'bench/results/tokenizer.md'));
  if (!fs.existsSync(out)) fs.writeFileSync(out, '# Tokenizer throughput\n\nAppended by bench/tokenizer.ts, newest last.\n');
  fs.appendFileSync(out, report);
  console.log(`appended to ${out}`);
} else {
  console.log(report);
}
