/**
 * The --json result of analyze, eval and plan: one object that names its format and version, the
 * model, the text and the settings, so a file can be told apart from any other JSON and imported by the
 * workbench (src/engine/results/results-file.ts reads it). `--out FILE` writes it to a file (whole or
 * not at all: a temporary file renamed into place) instead of standard output.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { SettingsError } from '../engine/errors';
import { RESULTS_FORMAT, RESULTS_VERSION } from '../engine/results/results-file';
import type { Flags } from './args';
import type { CliIo } from './command';
import { dataJson, modelJson, type Session } from './session';

/** Whether the command prints JSON (--json, or --out FILE). */
export const wantsJson = (flags: Flags): boolean => flags.json === true || typeof flags.out === 'string';

export function resultJson(command: string, s: Session, flags: Flags, fields: Record<string, unknown>) {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    command,
    model: { id: basename(s.modelDir), ...modelJson(s) },
    text: { name: basename(s.textPath), path: s.textPath, tokens: s.data.textTokens },
    settings: {
      seqLen: s.data.seqLen,
      windows: s.data.windows,
      batch: flags.batch,
      device: flags.device ?? 'cpu',
    },
    data: dataJson(s),
    ...fields,
  };
}

/** Print the result, or write it to --out FILE and say so on standard error. */
export async function emitJson(io: CliIo, flags: Flags, obj: unknown): Promise<void> {
  const text = `${JSON.stringify(obj)}\n`;
  if (typeof flags.out !== 'string') {
    io.out(text);
    return;
  }
  const path = resolve(io.cwd, flags.out);
  const st = await stat(path).catch(() => null);
  if (st && !st.isFile())
    throw new SettingsError(
      `--out ${flags.out} is a folder or a special file; give a file name such as results.json.`,
      {
        path,
      },
    );
  const tmp = `${path}.droplab-${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new SettingsError(`Cannot write ${path}: ${(e as Error).message.replace(/^\w+: /, '')}.`, {
      path,
      code,
    });
  }
  io.err(`droplab: wrote ${path} (${text.length.toLocaleString('en-US')} bytes)\n`);
}
