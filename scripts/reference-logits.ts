/**
 * npm run reference-logits -- <model.gguf> [--prompt "text" | --tokens 1,2,3] [--steps N]
 *                              [--bitnet-activations int8|float] [-o out.json]
 *
 * Runs the float64 reference forward pass (test/reference/forward.ts) on a GGUF file:
 * the prompt (BOS first, tokenized with the file's tokenizer; default "Once upon a time"),
 * then N greedy steps (default 16). Writes JSON: { model, prompt, greedy, lastLogits } where
 * lastLogits are the logits after the prompt (before the first greedy token). Slow (seconds
 * per token for a 1B shape) and memory-hungry (4 bytes per weight): for checking an engine's
 * logits and greedy tokens on synthetic models without re-running the reference each time.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGGUF } from '../src/gguf/reader.ts';
import { createTokenizer } from '../src/tokenizer/index.ts';
import { loadReference } from '../test/reference/forward.ts';

export async function referenceLogits(file: string, opts: { prompt?: string; tokens?: number[]; steps?: number; bitnetActivations?: 'int8' | 'float' } = {}) {
  const bytes = new Uint8Array(await readFile(file));
  const gguf = parseGGUF(bytes);
  let prompt = opts.tokens;
  if (!prompt) {
    const tok = createTokenizer(gguf);
    prompt = [...(tok.bosId >= 0 ? [tok.bosId] : []), ...tok.encode(opts.prompt ?? 'Once upon a time', { addSpecial: false })];
  }
  const ref = loadReference(gguf, bytes, { bitnetActivations: opts.bitnetActivations });
  const logits = ref.forward(prompt);
  const last = logits[logits.length - 1];
  const greedy = ref.greedy(prompt, opts.steps ?? 16);
  return { model: path.basename(file), config: ref.config, prompt, greedy, lastLogits: Array.from(last) };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const argv = process.argv.slice(2);
  let file: string | undefined, out: string | undefined;
  const o: Parameters<typeof referenceLogits>[1] = {};
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--prompt') o.prompt = argv[++i];
    else if (f === '--tokens') o.tokens = argv[++i].split(',').map(Number);
    else if (f === '--steps') o.steps = Number(argv[++i]);
    else if (f === '--bitnet-activations') o.bitnetActivations = argv[++i] as 'int8' | 'float';
    else if (f === '-o') out = argv[++i];
    else if (!f.startsWith('-') && !file) file = f;
    else { process.stderr.write(`reference-logits: unknown argument '${f}'\n`); process.exit(1); }
  }
  if (!file) { process.stderr.write('usage: reference-logits <model.gguf> [--prompt text | --tokens 1,2] [--steps N] [-o out.json]\n'); process.exit(1); }
  const t0 = Date.now();
  const r = await referenceLogits(file, o);
  const json = JSON.stringify(r);
  if (out) await writeFile(out, json);
  else process.stdout.write(json + '\n');
  process.stderr.write(`prompt ${r.prompt.length} tokens, greedy ${r.greedy.join(',')} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
