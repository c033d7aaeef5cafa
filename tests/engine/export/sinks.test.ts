/** folderSink over an in-memory file system: the overwrite commit never loses the old export, and the model folder is protected. */
import { describe, expect, it } from 'vitest';
import { ExportError } from '../../../src/engine/errors';
import { type FolderFs, folderSink, pathsOverlap } from '../../../src/engine/export/sinks';

/** Files as path -> text; folders implied by their files plus an explicit set. */
function memFs(failRename?: (from: string, to: string) => boolean) {
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);
  const fs: FolderFs = {
    exists: async (p) => dirs.has(p) || files.has(p) || [...files.keys()].some((f) => under(f, p)),
    mkdir: async (p) => {
      dirs.add(p);
    },
    writeFile: async (p, parts) => {
      files.set(p, parts.map((u) => new TextDecoder().decode(u)).join(''));
    },
    rename: async (a, b) => {
      if (failRename?.(a, b)) throw Object.assign(new Error(`EIO: rename ${a} -> ${b}`), { code: 'EIO' });
      for (const [k, v] of [...files])
        if (under(k, a)) {
          files.delete(k);
          files.set(b + k.slice(a.length), v);
        }
      for (const d of [...dirs])
        if (under(d, a)) {
          dirs.delete(d);
          dirs.add(b + d.slice(a.length));
        }
    },
    rm: async (p) => {
      for (const k of [...files.keys()]) if (under(k, p)) files.delete(k);
      for (const d of [...dirs]) if (under(d, p)) dirs.delete(d);
    },
  };
  return { fs, files, dirs };
}

const file = (path: string, text: string) => {
  const b = new TextEncoder().encode(text);
  return { path, parts: [b], size: b.length };
};

async function runSink(sink: ReturnType<typeof folderSink>, names: string[]) {
  await sink.begin?.();
  for (const n of names) await sink.write(file(n, `new ${n}`));
  await sink.commit?.();
}

describe('folderSink', () => {
  it('--overwrite: a failure while moving the new folder in keeps the old export in place', async () => {
    const m = memFs((from, to) => from.includes('.partial-') && to === '/x/out');
    m.files.set('/x/out/config.json', 'old config');
    m.files.set('/x/out/onnx/model.onnx', 'old onnx');
    const sink = folderSink(m.fs, '/x/out', { overwrite: true });
    const err = await runSink(sink, ['config.json']).catch((e) => e);
    expect(String(err)).toMatch(/EIO/);
    expect(m.files.get('/x/out/config.json')).toBe('old config');
    expect(m.files.get('/x/out/onnx/model.onnx')).toBe('old onnx');
  });

  it('--overwrite: success replaces the folder and leaves no aside copy', async () => {
    const m = memFs();
    m.files.set('/x/out/config.json', 'old config');
    m.files.set('/x/out/stale.txt', 'old');
    await runSink(folderSink(m.fs, '/x/out', { overwrite: true }), ['config.json']);
    expect([...m.files]).toEqual([['/x/out/config.json', 'new config.json']]);
  });

  it('refuses an output that is, contains or lies inside a protected (model) folder, before creating anything', async () => {
    for (const [out, how] of [
      ['/m/model', 'is'],
      ['/m/model/', 'is'],
      ['/m', 'contains'],
      ['/', 'contains'],
      ['/m/model/sub/out', 'lies inside'],
    ] as const) {
      const m = memFs();
      m.files.set('/m/model/config.json', 'model');
      const err = await folderSink(m.fs, out, { overwrite: true, protect: ['/m/model'] })
        .begin?.()
        .catch((e) => e);
      expect(err, out).toBeInstanceOf(ExportError);
      expect(err.message, out).toContain(`${how} the model folder /m/model`);
      expect(err.details.reason).toBe('overlaps-model');
      expect([...m.files.keys()], out).toEqual(['/m/model/config.json']);
      expect([...m.dirs], out).toEqual([]);
    }
    expect(pathsOverlap('/m/model2', '/m/model')).toBe(false);
    expect(pathsOverlap('/m/mode', '/m/model')).toBe(false);
  });
});
