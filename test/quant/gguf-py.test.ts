// llama.cpp's own Python package (gguf-py) reads make-model's files, knows every tensor name for
// the file's architecture, and dequantizes every tensor bit for bit as src/quant does. Runs where
// python3 and the gguf + numpy wheels are on disk (/opt/pypi/files on lutra's machines, or
// LUTRA_WHEELS); skipped elsewhere. The venv is built once in the OS temp dir.
// gguf-py does not know BitNet's I2_S (type 36): I2_S is checked by test/quant/quant.test.ts only.
import path from 'node:path';
import os from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { dequantize } from '../../src/quant/index.ts';
import { makeModel, parseArgs } from '../../scripts/make-model.ts';
import { testdata } from '../paths.ts';

const wheels = process.env.LUTRA_WHEELS ?? '/opt/pypi/files';
const haveWheels = existsSync(wheels) && readdirSync(wheels).some((f) => f.startsWith('gguf-')) &&
  readdirSync(wheels).some((f) => f.startsWith('numpy-1.26'));
const havePython = (() => { try { execFileSync('python3', ['--version']); return true; } catch { return false; } })();
const checker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gguf_py_check.py');

function venvPython(): string {
  const dir = path.join(os.tmpdir(), 'lutra-gguf-py-venv');
  const py = path.join(dir, 'bin', 'python');
  if (!existsSync(py)) {
    execFileSync('python3', ['-m', 'venv', dir]);
    execFileSync(py, ['-m', 'pip', 'install', '-q', '--no-index', '--find-links', wheels, 'gguf', 'numpy==1.26.4'], { stdio: 'pipe' });
  }
  return py;
}

const tmp = mkdtemp(path.join(os.tmpdir(), 'lutra-ggufpy-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

async function writeWithDump(argv: string[]): Promise<string> {
  const out = path.join(await tmp, argv.filter((a) => !a.startsWith('-')).join('-') + '.gguf');
  await makeModel(parseArgs([...argv, ...SMALL_VOCAB, '-o', out, '-q']));
  const bytes = new Uint8Array(await readFile(out));
  const g = parseGGUF(bytes);
  const parts = g.tensors.map((t) => Buffer.from(dequantize(t.type, bytes.subarray(t.offset, t.offset + t.byteSize), t.nElements).buffer));
  await writeFile(out + '.f32', Buffer.concat(parts));
  return out;
}

// a 512-token llama tokenizer keeps token_embd/output small (the vocab size does not matter here)
const SMALL_VOCAB = ['--vocab', path.join(testdata, 'models', 'stories260K.gguf')];

const TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'TQ1_0', 'TQ2_0'];

describe.skipIf(!haveWheels || !havePython)('gguf-py (llama.cpp) reads make-model files', () => {
  it('every type (token_embd and output in that type too), and each architecture', async (ctx) => {
    let py: string;
    try {
      py = venvPython();
    } catch (e) {
      console.warn(`gguf-py check skipped: could not set up a venv from ${wheels}: ${(e as Error).message}`);
      ctx.skip();
      return;
    }
    const files: string[] = [];
    for (const t of TYPES) {
      // llama-7b shape, narrowed, separate output head: every matrix in type t
      files.push(await writeWithDump(['llama-7b', '--type', t, '--embd-type', t, '--output-type', t, '--layers', '1', '--embd', '256', '--ff', '512', '--seed', '5']));
    }
    files.push(await writeWithDump(['llama-3.2-1b', '--type', 'Q4_K', '--layers', '2', '--embd', '256', '--ff', '512']));
    files.push(await writeWithDump(['qwen2.5-0.5b', '--type', 'Q4_K', '--layers', '2', '--embd', '320', '--ff', '512']));
    files.push(await writeWithDump(['bitnet-b1.58-2b', '--type', 'TQ1_0', '--layers', '2', '--embd', '256', '--ff', '768']));
    const out = execFileSync(py, [checker, ...files], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('OK')), out).toEqual([]);
    expect(lines.length).toBe(files.length);
  }, 600_000);
});
