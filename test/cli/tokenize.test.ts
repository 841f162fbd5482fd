/**
 * `lutra tokenize` as a child process (through bin/lutra.mjs, as `npx lutra` runs it):
 * stdout must equal llama.cpp's `.out` file byte for byte.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatVocabTestOutput, splitVocabTestInputs } from '../../src/cli/tokenize.ts';
import { main } from '../../src/cli/main.ts';
import { repoRoot, testdata } from '../paths.ts';

const run = promisify(execFile);
const BIN = path.join(repoRoot, 'bin', 'lutra.mjs');

const FILES = [
  'vocab/ggml-vocab-gpt-2.gguf',
  'vocab/ggml-vocab-falcon.gguf',
  'vocab/ggml-vocab-deepseek-llm.gguf',
  'vocab/ggml-vocab-bert-bge.gguf',
  'vocab/ggml-vocab-llama-spm.gguf',
  'vocab/ggml-vocab-phi-3.gguf',
  'models/stories260K.gguf',
  'models/TinyStories-656K.f16.gguf',
];

describe('lutra tokenize (child process)', () => {
  it.concurrent.each(FILES)('%s: stdout equals the .out file byte for byte', async (rel) => {
    const gguf = path.join(testdata, rel);
    const { stdout } = await run(process.execPath, [BIN, 'tokenize', gguf, `${gguf}.inp`], { encoding: 'buffer', maxBuffer: 1 << 24 });
    expect(Buffer.compare(stdout, fs.readFileSync(`${gguf}.out`))).toBe(0);
  }, 60_000);

  it('usage errors exit with 2, a missing file with 1', async () => {
    await expect(run(process.execPath, [BIN, 'tokenize', 'only-one-arg'])).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [BIN, 'tokenize', '/no/such.gguf', '/no/such.inp'])).rejects.toMatchObject({ code: 1 });
  }, 60_000);
});

describe('CLI pieces in process', () => {
  it('dispatches from the command table; unknown commands and --help', async () => {
    let out = '', err = '';
    expect(await main(['--help'], (s) => { out += s; }, (s) => { err += s; })).toBe(0);
    expect(out).toContain('tokenize <file.gguf> <input.inp>');
    expect(await main(['frobnicate'], (s) => { out += s; }, (s) => { err += s; })).toBe(2);
    expect(err).toContain('unknown command "frobnicate"');
  });

  it('splits and formats like test-tokenizer-0', () => {
    const sep = '\n__ggml_vocab_test__\n';
    expect(splitVocabTestInputs(`${sep}a${sep}${sep}b${sep}`)).toEqual(['', 'a', '', 'b']);
    expect(formatVocabTestOutput([[], [1, 22]])).toBe('\n 1 22\n');
  });
});
