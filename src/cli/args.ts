/** A small flag parser for the CLI: `--name value`, `-n value`, and positionals. */
import { InvalidArgumentError } from '../errors.ts';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
}

/** `aliases` maps short flags to long names, e.g. { p: 'prompt' }. Every flag takes a value. */
export function parseArgs(args: string[], aliases: Record<string, string> = {}): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') ? a.slice(2) : a.startsWith('-') && a.length === 2 ? aliases[a.slice(1)] : undefined;
    if (a.startsWith('-') && a.length > 1 && name === undefined) throw new InvalidArgumentError(`unknown option ${a}`);
    if (name === undefined) {
      positional.push(a);
      continue;
    }
    if (i + 1 >= args.length) throw new InvalidArgumentError(`option ${a} needs a value`);
    flags.set(name, args[++i]);
  }
  return { positional, flags };
}

export function numberFlag(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`--${name} must be a number, got "${v}"`);
  return n;
}
