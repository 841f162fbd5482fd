/**
 * `lutra run` as a child process: the streamed text is the model's real greedy
 * continuation (llama.cpp's, for stories260K), timings go to stderr.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot, testdata } from '../paths.ts';

const run = promisify(execFile);
const BIN = path.join(repoRoot, 'bin', 'lutra.mjs');
const MODEL = path.join(testdata, 'models', 'stories260K.gguf');

describe('lutra run (child process)', () => {
  it('streams the greedy continuation and reports timings', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'run', MODEL, '-p', 'Once upon a time', '-n', '32', '--temp', '0']);
    expect(stdout.startsWith(', there was a little girl named Lily. She loved to play outside in the park. One day, she saw')).toBe(true);
    expect(stderr).toMatch(/32 generated at [\d.]+ tok\/s/);
    expect(stderr).toContain('stories260K.gguf');
  }, 60_000);

  it('stops at a stop string, and the same seed gives the same sampled text', async () => {
    const stopped = await run(process.execPath, [BIN, 'run', MODEL, '-p', 'Once upon a time', '-n', '64', '--temp', '0', '--stop', 'Lily']);
    expect(stopped.stdout).toBe(', there was a little girl named \n');
    expect(stopped.stderr).toContain('finished: stop');
    const args = [BIN, 'run', MODEL, '-p', 'Once upon a time', '-n', '24', '--temp', '1', '--seed', '1234'];
    const [a, b] = await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
    expect(a.stdout).toBe(b.stdout);
  }, 60_000);

  it('a missing model exits with 1 and a usage error with 2', async () => {
    await expect(run(process.execPath, [BIN, 'run', '/no/such.gguf', '-p', 'x'])).rejects.toMatchObject({ code: 1 });
    await expect(run(process.execPath, [BIN, 'run', MODEL])).rejects.toMatchObject({ code: 2 });
  }, 60_000);
});
