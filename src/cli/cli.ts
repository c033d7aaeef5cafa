/**
 * The CLI without process globals: runCli(argv, io) -> exit status. main.ts binds it to the process.
 *
 * Exit statuses: 0 success; 2 a DropLabError (its message, no stack); 64 a usage error (the message and
 * the command's usage); 130 cancelled (Ctrl-C); 1 anything unexpected (stack with DROPLAB_DEBUG=1).
 */
import { DropLabError } from '../engine/errors';
import { UsageError, describeFlags, parseFlags } from './args';
import { type CliIo, type Command, EXIT } from './command';
import { COMMANDS } from './commands/index';

const VERSION = '0.1.0';

export function mainUsage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'droplab: see and exploit layer redundancy in transformer LMs (LLM-Drop), on onnxruntime-node',
    '',
    'Usage: droplab <command> [options]     (in the repository: npm run cli -- <command> [options])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'droplab <command> --help shows its options. Layer indices are 0-based.',
    'Exit status: 0 ok, 2 bad input (model, text, drops), 64 usage error, 130 cancelled.',
  ].join('\n');
}

export function commandUsage(c: Command, full = true): string {
  const head = `Usage: droplab ${c.name} ${c.synopsis}`;
  if (!full) return `${head}\nSee: droplab ${c.name} --help`;
  return [
    head,
    '',
    `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`,
    '',
    'Options:',
    describeFlags(c.flags),
    '  --help  show this help',
    ...(c.details ? ['', c.details] : []),
  ].join('\n');
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const sub = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    if (name === 'help' && rest[0] && !sub) {
      io.err(`droplab: unknown command '${rest[0]}'.\n\n${mainUsage()}\n`);
      return EXIT.usage;
    }
    const text = sub ? commandUsage(sub) : mainUsage();
    if (name === undefined) {
      io.err(`${text}\n`);
      return EXIT.usage;
    }
    io.out(`${text}\n`);
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.out(`droplab ${VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    io.err(`droplab: unknown command '${name}'.\n\n${mainUsage()}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${commandUsage(cmd)}\n`);
    return EXIT.ok;
  }
  try {
    const flags = parseFlags(rest, cmd.flags, cmd.name);
    return (await cmd.run(flags, io)) ?? EXIT.ok;
  } catch (e) {
    return report(e, cmd, io);
  }
}

function report(e: unknown, cmd: Command, io: CliIo): number {
  if (e instanceof UsageError) {
    io.err(`droplab ${cmd.name}: ${e.message}\n\n${commandUsage(cmd, false)}\n`);
    return EXIT.usage;
  }
  if (e instanceof DropLabError) {
    if (e.code === 'CANCELLED') {
      io.err('droplab: cancelled.\n');
      return EXIT.cancelled;
    }
    io.err(`droplab ${cmd.name}: ${e.message}\n`);
    return EXIT.error;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`droplab ${cmd.name}: unexpected error: ${msg}\n`);
  if (process.env.DROPLAB_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
  else io.err('(set DROPLAB_DEBUG=1 for the stack trace)\n');
  return EXIT.internal;
}
