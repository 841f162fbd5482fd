/**
 * lutra's command-line entry point (Node). Subcommands come from a table so that `run`,
 * `perplexity`, `bench` and others can be added as one entry each. The commands run the
 * same TypeScript modules the browser build uses.
 */
import { LutraError } from '../errors.ts';
import { runCommand } from './run.ts';
import { tokenizeCommand } from './tokenize.ts';

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Prints the command's usage to stderr; returns the exit code to use (2). */
  usageError(): number;
}

export interface Command {
  /** e.g. "tokenize <file.gguf> <input.inp>" */
  usage: string;
  summary: string;
  /** Returns the process exit code. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  tokenize: tokenizeCommand,
};

function help(): string {
  const lines = ['usage: lutra <command> [args]', '', 'commands:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}\n      ${c.summary}`);
  return lines.join('\n') + '\n';
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => { process.stdout.write(s); },
  err: (s: string) => void = (s) => { process.stderr.write(s); },
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? err : out)(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    err(`lutra: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const io: CommandIO = {
    stdout: out,
    stderr: err,
    usageError: () => { err(`usage: lutra ${cmd.usage}\n`); return 2; },
  };
  try {
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof LutraError) err(`lutra ${name}: ${e.name} (${e.code}): ${e.message}\n`);
    else if (e instanceof Error && 'code' in e && typeof e.code === 'string' && 'path' in e) err(`lutra ${name}: ${e.message}\n`);
    else throw e;
    return 1;
  }
}
