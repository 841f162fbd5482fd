/**
 * Split GGUF models (llama.cpp's gguf-split): `name-00001-of-00003.gguf`, …
 * Each part is a GGUF file holding a subset of the tensors; the first holds
 * all the metadata. Every part carries `split.no` (0-based), `split.count`
 * and (in the first) `split.tensors.count`.
 *
 * The parts are seen as one file laid end to end (ConcatSource): tensor
 * offsets are shifted by the start of their part, so the rest of the loader
 * reads them as from any other file, and reads the parts concurrently.
 */
import { GGUFFormatError } from '../errors.ts';
import { getInteger } from '../gguf/metadata.ts';
import type { GGUFFile } from '../gguf/types.ts';

const SPLIT_RE = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

/** The URLs of all parts when `url` names one part of a split model; undefined otherwise. */
export function splitPartUrls(url: string): string[] | undefined {
  const q = url.search(/[?#]/);
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const m = SPLIT_RE.exec(path);
  if (!m) return undefined;
  const count = Number(m[3]);
  const no = Number(m[2]);
  if (count < 1 || no < 1 || no > count) return undefined;
  if (count === 1) return [url];
  return Array.from({ length: count }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, '0')}-of-${m[3]}.gguf${query}`);
}

/** One GGUFFile for the parts (in order), with tensor offsets into their concatenation. */
export function mergeSplitHeaders(parts: readonly GGUFFile[]): GGUFFile {
  if (parts.length === 1) return parts[0];
  const count = parts.length;
  let base = 0;
  const names = new Set<string>();
  const tensors = [];
  for (let i = 0; i < count; i++) {
    const p = parts[i];
    const no = getInteger(p, 'split.no');
    const n = getInteger(p, 'split.count');
    if (no !== i || n !== count) {
      throw new GGUFFormatError(
        `part ${i + 1} of ${count} of a split model says split.no=${no ?? 'missing'}, split.count=${n ?? 'missing'}`);
    }
    for (const t of p.tensors) {
      if (names.has(t.name)) throw new GGUFFormatError(`tensor '${t.name}' appears in more than one part of the split model`);
      names.add(t.name);
      tensors.push({ ...t, offset: t.offset + base });
    }
    base += p.fileSize;
  }
  const declared = getInteger(parts[0], 'split.tensors.count');
  if (declared !== undefined && declared !== tensors.length) {
    throw new GGUFFormatError(`the split model declares ${declared} tensors but its ${count} parts hold ${tensors.length}`);
  }
  return { ...parts[0], tensors, fileSize: base };
}
