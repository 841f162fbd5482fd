/**
 * `lutra run <model.gguf> -p "prompt"`: loads the model in this process and
 * streams the continuation to stdout; timings go to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { LocalEngine } from '../engine/local-engine.ts';
import type { GenerateOptions } from '../engine/types.ts';
import { numberFlag, parseArgs } from './args.ts';
import type { Command } from './main.ts';

export const runCommand: Command = {
  usage: 'run <model.gguf> -p <prompt> [-n max-tokens] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--seed S] [--ctx N] [--stop STR]',
  summary: 'generate text from a prompt, streamed to stdout (timings on stderr)',
  async run(args, io) {
    const { positional, flags } = parseArgs(args, { p: 'prompt', n: 'max-tokens', s: 'seed', c: 'ctx' });
    if (positional.length !== 1 || !flags.has('prompt')) return io.usageError();
    // Node 20 keeps relaxed SIMD behind a flag; lutra falls back to SIMD128 without it.
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

    const engine = new LocalEngine();
    const report = await engine.load({ blob: new File([await fs.openAsBlob(positional[0])], path.basename(positional[0])) }, { contextLength: numberFlag(flags, 'ctx') });
    io.stderr(`lutra: ${report.source} · ${report.architecture} · ${(report.parameters / 1e6).toFixed(2)}M params · ` +
      `${report.flavor} · ${report.threads} thread${report.threads > 1 ? 's' : ''}\n`);

    const options: GenerateOptions = {
      maxTokens: numberFlag(flags, 'max-tokens') ?? 128,
      temperature: numberFlag(flags, 'temp'),
      topK: numberFlag(flags, 'top-k'),
      topP: numberFlag(flags, 'top-p'),
      minP: numberFlag(flags, 'min-p'),
      seed: numberFlag(flags, 'seed'),
      stop: flags.has('stop') ? [flags.get('stop')!] : undefined,
    };
    const result = await engine.generate(flags.get('prompt')!, options, (chunk) => io.stdout(chunk.text));
    io.stdout('\n');
    io.stderr(`lutra: ${result.promptTokens} prompt tokens at ${result.prefillTokensPerSecond.toFixed(1)} tok/s, ` +
      `${result.completionTokens} generated at ${result.decodeTokensPerSecond.toFixed(1)} tok/s, ` +
      `first token after ${result.timeToFirstTokenMs.toFixed(1)} ms, finished: ${result.finishReason}, seed ${result.seed}\n`);
    await engine.unload();
    return 0;
  },
};
