/**
 * The built package, as a Node user gets it: `import { LocalEngine } from 'lutra'`
 * resolves (through package.json "exports", "node" condition) to dist/esm/node.js,
 * which `npm run build:lib` makes (npm test runs it first). A child process
 * imports it by name and generates real text.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot, testdata } from '../paths.ts';

const run = promisify(execFile);

const script = `
import fs from 'node:fs';
import { LocalEngine, GGUFFormatError } from 'lutra';
const engine = new LocalEngine();
await engine.load({ blob: await fs.openAsBlob(process.argv[1]) });
const r = await engine.generate('Once upon a time', { maxTokens: 32, temperature: 0 });
let typed = false;
try { await engine.load({ bytes: new Uint8Array([1, 2, 3, 4]) }); } catch (e) { typed = e instanceof GGUFFormatError; }
process.stdout.write(JSON.stringify({ text: r.text, typed }));
`;

describe('the package from Node', () => {
  it('import { LocalEngine } from "lutra" generates llama.cpp\'s continuation', async () => {
    expect(fs.existsSync(path.join(repoRoot, 'dist', 'esm', 'node.js')), 'run `npm run build:lib` first (npm test does)').toBe(true);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, path.join(testdata, 'models', 'stories260K.gguf')], { cwd: repoRoot });
    const out = JSON.parse(stdout) as { text: string; typed: boolean };
    expect(out.text.startsWith(', there was a little girl named Lily. She loved to play outside in the park.')).toBe(true);
    expect(out.typed).toBe(true);
  }, 60_000);
});
