import fs from 'node:fs';
import path from 'node:path';
import { parseGGUF } from '../../src/gguf/reader.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';
import { testdata } from '../paths.ts';

const files = new Map<string, GGUFFile>();

/** Parses a GGUF file under the shared test data (cached per path). */
export function loadGGUF(rel: string): GGUFFile {
  let f = files.get(rel);
  if (!f) {
    f = parseGGUF(new Uint8Array(fs.readFileSync(path.join(testdata, rel))));
    files.set(rel, f);
  }
  return f;
}

export function readText(rel: string): string {
  return fs.readFileSync(path.join(testdata, rel), 'utf8');
}

/**
 * Splits a llama.cpp `.inp` file the way tests/test-tokenizer-0.cpp does: cut at every
 * "\n__ggml_vocab_test__\n"; a separator at the very start gives a first, empty input, and
 * one at the very end does not give a trailing empty input.
 */
export function splitInputs(raw: string): string[] {
  const sep = '\n__ggml_vocab_test__\n';
  const out: string[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) {
      out.push(raw.slice(pos));
      break;
    }
    out.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  return out;
}

/** The `.out` lines (one per input; ids after a leading space each). */
export function readOutputs(raw: string): string[] {
  const lines = raw.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function parseIds(line: string): number[] {
  const t = line.trim();
  return t === '' ? [] : t.split(' ').map(Number);
}

export function formatIds(ids: number[]): string {
  return ids.map((x) => ` ${x}`).join('');
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
