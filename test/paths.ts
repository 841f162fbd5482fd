import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repo root and the shared test data beside it (../shared/testdata from the repo root). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const testdata = path.resolve(repoRoot, '..', 'shared', 'testdata');
