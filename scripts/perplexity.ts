/**
 * Perplexity of a GGUF model over a text file (protocol: src/eval/perplexity.ts).
 *
 *   npx tsx scripts/perplexity.ts <model.gguf> <text> [--ctx 256] [--chunks 8] [--flavor simd128|relaxed]
 *   npm run perplexity -- <model.gguf> <text>
 */
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { byteSourceFromFile } from '../src/gguf/node-source.ts';
import { readGGUF } from '../src/gguf/reader.ts';
import { createTokenizer } from '../src/tokenizer/index.ts';
import { loadLlamaModel } from '../src/model/llama.ts';
import { perplexity } from '../src/eval/perplexity.ts';
import { detectFlavor, type SimdFlavor } from '../src/wasm/flavor.ts';

// Node 20 has relaxed SIMD behind a flag (see test/setup.ts)
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

function usage(): never {
  console.error('usage: npx tsx scripts/perplexity.ts <model.gguf> <text> [--ctx N] [--chunks N] [--flavor simd128|relaxed]');
  process.exit(2);
}

const args = process.argv.slice(2);
const positional: string[] = [];
const opts: Record<string, string> = {};
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) {
    if (i + 1 >= args.length) usage();
    opts[args[i].slice(2)] = args[++i];
  } else positional.push(args[i]);
}
if (positional.length !== 2) usage();
const [modelPath, textPath] = positional;
const nCtx = Number(opts.ctx ?? 256), nChunks = Number(opts.chunks ?? 8);
const flavor = (opts.flavor as SimdFlavor | undefined) ?? detectFlavor();

const src = await byteSourceFromFile(modelPath);
try {
  const gguf = await readGGUF(src);
  const tokenizer = createTokenizer(gguf);
  const model = await loadLlamaModel(gguf, src, { flavor, contextLength: nCtx });
  const text = await readFile(textPath, 'utf8');
  console.log(`${modelPath}: ${model.config.architecture}, ${flavor}, n_ctx ${nCtx}, ${nChunks} chunks`);
  const r = perplexity(model, tokenizer, text, {
    nCtx, nChunks, onChunk: (c, p) => console.log(`  chunk ${c + 1}: ppl so far ${p.toFixed(4)}`),
  });
  console.log(`PPL ${r.ppl.toFixed(4)} (mean NLL ${r.meanNll.toFixed(6)}) over ${r.predictions} predictions, ` +
    `${r.chunks} chunks, ${r.textTokens} text tokens; ${(r.predictions / r.seconds).toFixed(0)} tokens/s`);
} finally {
  await src.close();
}
