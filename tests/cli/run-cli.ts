/** Run the droplab CLI as a child process (through tsx; `npm run cli` runs bin/droplab.mjs, see runBin) and collect its output. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((res) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, DROPLAB_DEBUG: '', FORCE_COLOR: '0' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        res({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `tsx src/cli/main.ts ...args` from the repository root. */
export function runCli(args: string[], cwd = ROOT): Promise<CliResult> {
  return exec(process.execPath, [TSX, join(ROOT, 'src/cli/main.ts'), ...args], cwd);
}

/** The installed bin: `node bin/droplab.mjs ...args`. */
export function runBin(args: string[], cwd = ROOT): Promise<CliResult> {
  return exec(process.execPath, [join(ROOT, 'bin/droplab.mjs'), ...args], cwd);
}

/** stdout as exactly one JSON object (throws otherwise). */
export function parseOne(r: CliResult): Record<string, unknown> {
  const text = r.stdout.trim();
  if (!text.startsWith('{') || text.split('\n').length !== 1)
    throw new Error(`expected one JSON object on stdout, got:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(text);
}

/** What JSON.stringify makes of a value (NaN -> null), for exact comparison with the CLI's output. */
export function asJson<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v));
}
