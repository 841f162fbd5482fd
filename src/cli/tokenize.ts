/**
 * `lutra tokenize <file.gguf> <input.inp>`: llama.cpp's test-tokenizer-0 in reverse. Reads
 * the inputs (separated by "\n__ggml_vocab_test__\n"), tokenizes each with the model's own
 * tokenizer (no BOS/EOS, special-token text not parsed) and prints one line per input,
 * each id preceded by a space: byte for byte the `.out` format.
 */
import { readFile } from 'node:fs/promises';
import { readGGUFFile } from '../gguf/node-source.ts';
import { createTokenizer } from '../tokenizer/index.ts';
import type { Command } from './main.ts';

const SEPARATOR = '\n__ggml_vocab_test__\n';

/**
 * Splits a `.inp` file as test-tokenizer-0 does: a separator at the very start gives an
 * empty first input; one at the very end gives no trailing empty input.
 */
export function splitVocabTestInputs(raw: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const next = raw.indexOf(SEPARATOR, pos);
    if (next < 0) {
      out.push(raw.slice(pos));
      break;
    }
    out.push(raw.slice(pos, next));
    pos = next + SEPARATOR.length;
  }
  return out;
}

/** The `.out` text for token ids per input. */
export function formatVocabTestOutput(idsPerInput: number[][]): string {
  return idsPerInput.map((ids) => ids.map((id) => ` ${id}`).join('') + '\n').join('');
}

export const tokenizeCommand: Command = {
  usage: 'tokenize <file.gguf> <input.inp>',
  summary: 'print token ids per input in llama.cpp\'s test-tokenizer-0 .out format',
  async run(args, io) {
    if (args.length !== 2) return io.usageError();
    const [model, input] = args;
    const file = await readGGUFFile(model);
    const tok = createTokenizer(file);
    const inputs = splitVocabTestInputs(await readFile(input, 'utf8'));
    io.stdout(formatVocabTestOutput(inputs.map((s) => tok.encode(s, { addSpecial: false, parseSpecial: false }))));
    return 0;
  },
};
