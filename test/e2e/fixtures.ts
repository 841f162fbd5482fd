/**
 * Fixture models for the browser tests, derived from the real stories260K.
 *
 * htmlPayloadModel(): the vocab entry of "," — the first token stories260K
 * writes after "Once upon a time" — replaced by an HTML/script payload, so the
 * model itself outputs markup. The tokens array is spliced in place; its length
 * change is padded to a multiple of the data alignment, so tensor offsets
 * (relative to the aligned data start) stay valid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { testdata } from '../paths.ts';

export const XSS_PAYLOAD = '<img src=x onerror="window.__lutraXss=1;document.title=\'pwned\'"><script>window.__lutraXss=2</script>';

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function htmlPayloadModel(): { bytes: Uint8Array; payload: string } {
  const bytes = new Uint8Array(fs.readFileSync(path.join(testdata, 'models', 'stories260K.gguf')));
  const file = parseGGUF(bytes);
  const tokens = file.metadata.get('tokenizer.ggml.tokens') as string[];
  const target = tokens.indexOf(',');
  if (target < 0) throw new Error('stories260K has no "," token');
  const enc = new TextEncoder();

  // Find the target token's string in the header: it follows the key and the
  // array header, after `target` earlier strings.
  const key = enc.encode('tokenizer.ggml.tokens');
  let at = -1;
  outer: for (let i = 0; i < file.dataOffset; i++) {
    for (let j = 0; j < key.length; j++) if (bytes[i + j] !== key[j]) continue outer;
    at = i + key.length;
    break;
  }
  if (at < 0) throw new Error('tokens key not found');
  const dv = new DataView(bytes.buffer);
  let p = at + 4 /* value type */ + 4 /* element type */ + 8; /* count */
  for (let i = 0; i < target; i++) p += 8 + Number(dv.getBigUint64(p, true));
  const oldLength = Number(dv.getBigUint64(p, true));

  let payload = XSS_PAYLOAD;
  const delta = () => enc.encode(payload).length - oldLength;
  while (delta() % file.alignment !== 0) payload += ' ';
  const replacement = new Uint8Array([...u64(enc.encode(payload).length), ...enc.encode(payload)]);

  const out = new Uint8Array(bytes.length + delta());
  out.set(bytes.subarray(0, p), 0);
  out.set(replacement, p);
  out.set(bytes.subarray(p + 8 + oldLength), p + replacement.length);
  const check = parseGGUF(out);
  if ((check.metadata.get('tokenizer.ggml.tokens') as string[])[target] !== payload) throw new Error('splice failed');
  return { bytes: out, payload };
}
