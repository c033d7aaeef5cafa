/**
 * Checks on `droplab export --out DIR` made before anything is loaded or written (Node only):
 *
 * - the output must not be, contain or lie inside the model folder (compared as real paths, symlinks
 *   resolved; for an --out that does not exist yet, its nearest existing ancestor is resolved);
 * - --overwrite replaces only a folder that is empty or holds a DropLab/LLM-Drop export (config.json
 *   with drop_attn_list), never a file or an unrelated folder;
 * - no output on a special file system (/proc, /sys, /dev, ...), where writes hang or mean something else;
 * - stale "<out>.partial-*" folders of earlier, interrupted exports to the same folder are removed.
 */
import {
  type Dirent,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  statfsSync,
} from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { PARTIAL_INFIX, pathsOverlap } from '../engine/export/sinks';
import { ExportError } from '../engine/errors';

/** The real path of `p`, or (when it does not exist yet) its nearest existing ancestor's real path + the rest. */
export function realPathOrNearest(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      const real = realpathSync(cur);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch {
      const up = dirname(cur);
      if (up === cur) return p;
      rest.push(basename(cur));
      cur = up;
    }
  }
}

/** ExportError (exit 2) when `out` is, contains or lies inside `modelDir`, as real paths. */
export function checkOutsideModel(out: string, modelDir: string): void {
  const o = realPathOrNearest(out);
  const m = realPathOrNearest(modelDir);
  if (!pathsOverlap(o, m)) return;
  const how = o === m ? 'is' : m.startsWith(o.endsWith(sep) ? o : o + sep) ? 'contains' : 'lies inside';
  throw new ExportError(
    `--out ${out} ${how} the model folder ${modelDir}${o !== out || m !== modelDir ? ` (as real paths: ${o} and ${m})` : ''}; exporting there would replace or corrupt the model. Choose a folder outside it.`,
    { reason: 'overlaps-model', path: out, model: modelDir },
  );
}

// statfs f_type of file systems that are not storage (linux/magic.h)
const SPECIAL_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x74726163, 'tracefs'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6e736673, 'nsfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
  [0x50495045, 'pipefs'],
]);
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

/** ExportError when `out` (resolved) is on a special file system, under /proc, /sys or /dev (but /dev/shm), or below a file. */
export function checkRegularFs(out: string): void {
  const real = realPathOrNearest(out);
  let existing = real;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let kind: string | undefined;
  const shm = real.startsWith('/dev/shm/'); // tmpfs in memory: an ordinary (if volatile) place for files
  if (!shm && SPECIAL_ROOTS.some((r) => real === r || real.startsWith(`${r}/`))) kind = real.split('/')[1];
  else {
    try {
      kind = SPECIAL_FS.get(statfsSync(existing).type);
    } catch {
      // statfs unavailable (not Linux): the path check above is all there is
    }
  }
  if (kind)
    throw new ExportError(
      `--out ${out} is on a special file system (${kind}), not a disk; choose a folder on a real disk.`,
      { reason: 'special-fs', path: out },
    );
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(existing);
  } catch {
    return; // gone meanwhile: creating the folder will say why
  }
  if (existing !== real && !st.isDirectory())
    throw new ExportError(`Cannot create ${out}: ${existing} is a file, not a folder.`, {
      reason: 'not-a-folder',
      path: out,
    });
}

/** For --overwrite: ExportError unless `out` is absent, an empty folder or a previous export. */
export function checkOverwritable(out: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(out);
  } catch {
    return;
  }
  if (!st.isDirectory())
    throw new ExportError(
      `--out ${out} exists and is not a folder; --overwrite replaces only a folder of an earlier export.`,
      {
        reason: 'not-an-export',
        path: out,
      },
    );
  let names: string[];
  try {
    names = readdirSync(out);
  } catch (e) {
    throw new ExportError(`Cannot read ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
      reason: 'unreadable',
      path: out,
    });
  }
  if (names.length === 0) return;
  let isExport = false;
  try {
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    isExport = cfg !== null && typeof cfg === 'object' && 'drop_attn_list' in cfg && 'drop_mlp_list' in cfg;
  } catch {
    isExport = false;
  }
  if (!isExport)
    throw new ExportError(
      `--out ${out} is a folder that does not hold an earlier export (no config.json with drop_attn_list); --overwrite replaces only exports. Remove it yourself or choose another folder.`,
      { reason: 'not-an-export', path: out },
    );
}

/** The pattern of our temporary folders next to `out`: "<name>.partial-<pid>-<random>" or "<name>.partial-<random>". */
export function partialPattern(out: string): RegExp {
  const name = basename(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${name}${PARTIAL_INFIX.replace('.', '\\.')}(?:(\\d+)-)?[a-z0-9]{1,12}$`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes "<out>.partial-*" folders left by interrupted exports: ours by name, older than this process,
 * and (when the name carries a pid) not belonging to a process that is still running. Returns their paths.
 */
export function cleanStalePartials(out: string, startedAtMs = Date.now() - process.uptime() * 1000): string[] {
  const dir = dirname(out);
  const re = partialPattern(out);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const m = re.exec(e.name);
    if (!m || !e.isDirectory()) continue;
    const path = join(dir, e.name);
    const pid = m[1] ? Number(m[1]) : null;
    if (pid !== null && (pid === process.pid || alive(pid))) continue;
    try {
      if (lstatSync(path).mtimeMs >= startedAtMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // not ours to fight over: leave it
    }
  }
  return removed;
}

/** Remove `path` recursively now (synchronously: for a second Ctrl-C); errors are ignored. */
export function removeNow(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // nothing more to do on the way out
  }
}
