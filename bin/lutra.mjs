#!/usr/bin/env node
// lutra CLI launcher. The CLI is TypeScript (src/cli/main.ts) and there is no compiled
// dist/ yet, so this plain-JS entry registers tsx's ESM loader (tsx/esm/api) and then
// imports the TypeScript sources directly: the CLI runs the very modules the browser uses.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
// Write everything before exiting: stdout may be a pipe.
const code = await main(process.argv.slice(2));
process.exitCode = code;
