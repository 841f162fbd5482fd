// make-model's synthetic GGUF files for the model tests, in a temporary folder that is removed
// after the calling test file.
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { parseGGUF } from '../../src/gguf/reader.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';
import { makeModel, parseArgs } from '../../scripts/make-model.ts';

/** A function that writes `npm run make-model -- <argv>` and returns the file's bytes and header. */
export function synthFiles(prefix: string): (argv: string[]) => Promise<{ bytes: Uint8Array; gguf: GGUFFile }> {
  const tmp = mkdtemp(path.join(os.tmpdir(), prefix));
  afterAll(async () => rm(await tmp, { recursive: true, force: true }));
  return async (argv) => {
    const out = path.join(await tmp, argv.join('_').replace(/[^\w.-]/g, '') + '.gguf');
    await makeModel(parseArgs([...argv, '-o', out, '-q']));
    const bytes = new Uint8Array(await readFile(out));
    return { bytes, gguf: parseGGUF(bytes) };
  };
}
