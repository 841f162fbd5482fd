/**
 * npm run make-model -- <model> --type <TYPE> -o <out.gguf> [options]
 *
 * Writes a GGUF file with random weights (fixed seed) in the shape of a real
 * model, with a real tokenizer copied from a vocab GGUF in ../shared/testdata/vocab.
 *
 *   <model>            llama-3.2-1b | qwen2.5-0.5b | bitnet-b1.58-2b | llama-7b
 *   --type T           linear weights: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K
 *                      Q5_K Q6_K IQ4_NL TQ1_0 TQ2_0 I2_S (default Q4_0)
 *   --embd-type T      token_embd type (default: float types keep theirs, ternary → F16, else Q8_0)
 *   --output-type T    output.weight type for untied models (default Q6_K; Q8_0 for Q8_0; float keeps)
 *   --layers N         first N layers only (same width)
 *   --embd N --ff N --heads N --kv-heads N --head-dim N   narrower variants (tests)
 *   --arch-name NAME   bitnet only: bitnet (upstream llama.cpp) or bitnet-b1.58 (BitNet's fork);
 *                      default bitnet-b1.58 for I2_S (only the fork reads I2_S), else bitnet
 *   --vocab FILE       tokenizer source (default per model: Llama-2 SPM 32000, or GPT-2 for Qwen)
 *   --seed N           (default 1)
 *   --std X            standard deviation of embeddings and linear weights (default 0.02)
 *   -o FILE            output path
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGGUFFile } from '../src/gguf/node-source.ts';
import { writeGGUFFile } from '../src/gguf/node-writer.ts';
import { ggmlTypeName } from '../src/gguf/ggml-types.ts';
import { PRESETS, planModel, type SynthOptions } from './lib/synth-model.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const VOCAB_DIR = path.resolve(here, '..', '..', 'shared', 'testdata', 'vocab');

export interface MakeModelArgs extends Omit<SynthOptions, 'vocab' | 'vocabName'> {
  output: string;
  vocabPath?: string;
  quiet?: boolean;
}

export function parseArgs(argv: string[]): MakeModelArgs {
  const a: Partial<MakeModelArgs> & { type: string } = { type: 'Q4_0' };
  const num = (v: string | undefined, f: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${f} needs a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i], v = () => argv[++i];
    switch (f) {
      case '--type': case '-t': a.type = v(); break;
      case '--embd-type': a.embdType = v(); break;
      case '--output-type': a.outputType = v(); break;
      case '--layers': a.layers = num(v(), f); break;
      case '--embd': a.embd = num(v(), f); break;
      case '--ff': a.ff = num(v(), f); break;
      case '--heads': a.heads = num(v(), f); break;
      case '--kv-heads': a.kvHeads = num(v(), f); break;
      case '--head-dim': a.headDim = num(v(), f); break;
      case '--vocab': a.vocabPath = v(); break;
      case '--arch-name': a.archName = v(); break;
      case '--seed': a.seed = Number(v()); break;
      case '--std': {
        const x = Number(v());
        if (!(x > 0)) throw new Error(`--std needs a positive number`);
        a.std = x;
        break;
      }
      case '-o': case '--output': a.output = v(); break;
      case '-q': case '--quiet': a.quiet = true; break;
      default:
        if (f.startsWith('-') || a.preset) throw new Error(`unknown argument '${f}'`);
        a.preset = f;
    }
  }
  if (!a.preset) throw new Error(`which model? (${Object.keys(PRESETS).join(', ')})`);
  if (!a.output) throw new Error('no output file (-o FILE)');
  return a as MakeModelArgs;
}

export async function makeModel(args: MakeModelArgs) {
  const preset = PRESETS[args.preset];
  if (!preset) throw new Error(`unknown model '${args.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const vocabPath = args.vocabPath ?? path.join(VOCAB_DIR, preset.vocab);
  const vocab = await readGGUFFile(vocabPath);
  const plan = planModel({ ...args, vocab, vocabName: path.basename(vocabPath) });
  const log = args.quiet ? () => {} : (s: string) => process.stderr.write(s + '\n');
  const s = plan.shape;
  log(`${args.preset} (${plan.archName}): n_embd ${s.nEmbd}, ${s.nLayer} layers, ${s.nHead}/${s.nHeadKv} heads × ${s.headDim}, n_ff ${s.nFf}, ` +
    `vocab ${plan.nVocab} from ${path.basename(vocabPath)} (the real model has ${preset.realVocab}), ${s.tiedOutput ? 'tied' : 'separate'} output`);
  const counts = new Map<string, number>();
  for (const t of plan.tensors) counts.set(ggmlTypeName(t.type), (counts.get(ggmlTypeName(t.type)) ?? 0) + 1);
  log(`tensors: ${[...counts].map(([k, v]) => `${v}× ${k}`).join(', ')}; ${(plan.writer.dataSize / 2 ** 20).toFixed(1)} MiB of data`);
  for (const f of plan.fallbacks.slice(0, 4)) log(`fallback: ${f}`);
  if (plan.fallbacks.length > 4) log(`(${plan.fallbacks.length - 4} more fallbacks)`);
  const t0 = Date.now();
  let done = 0;
  const total = plan.writer.tensors.length;
  const bytes = await writeGGUFFile(args.output, plan.writer, (t) => {
    if (!args.quiet && (++done % 16 === 0 || done === total)) process.stderr.write(`\r${done}/${total} tensors`);
    return plan.data(t);
  });
  log(`\nwrote ${args.output}: ${bytes} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...plan, bytes };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    await makeModel(parseArgs(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`make-model: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
