/**
 * The droplab command line: `npm run cli -- <command> ...` in the repository, or the `droplab` bin
 * (bin/droplab.mjs). Commands live in ./commands (one module each); see ./cli.ts for exit statuses.
 */
import { runCli } from './cli';

const io = {
  out: (s: string) => process.stdout.write(s),
  err: (s: string) => process.stderr.write(s),
  errIsTTY: process.stderr.isTTY === true,
  cwd: process.env.INIT_CWD && process.env.npm_lifecycle_event === 'cli' ? process.env.INIT_CWD : process.cwd(),
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`droplab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
