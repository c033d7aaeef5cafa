/**
 * Streamed checkpoints (issue 13): a folder that reads byte ranges is opened from its safetensors
 * headers alone, no weight file is ever read whole, and every tensor decodes to the same values as the
 * whole-file path (rows too); a truncated shard is refused at open, naming the file. The CLI reads a
 * Hub download from the Hub's own disk cache (a snapshot folder of symlinks to blobs) the same way.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import type { ModelFiles } from '../../../src/engine/api';
import { SafetensorsRangeError } from '../../../src/engine/errors';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { paramRows } from '../../../src/engine/model/spec';
import { tinyModel } from '../../fixtures/tiny-models';
import { writeTinyModel } from '../../fixtures/tiny-models-node';

const tmp = mkdtempSync(join(tmpdir(), 'droplab-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function spy(files: ModelFiles) {
  const whole: string[] = [];
  let rangeBytes = 0;
  const f: ModelFiles = {
    names: () => files.names(),
    read: (n) => {
      whole.push(n);
      return files.read(n);
    },
    size: (n) => files.size?.(n) as number,
    readRange: (n, a, b) => {
      rangeBytes += b - a;
      return files.readRange?.(n, a, b) as Uint8Array;
    },
  };
  return { f, whole, bytes: () => rangeBytes };
}

describe('streamed checkpoint', () => {
  for (const shards of [1, 2] as const) {
    it(`${shards === 1 ? 'single file' : 'two shards'} (bf16): no whole weight file read; same values as the in-memory path`, async () => {
      const { dir } = writeTinyModel('llama-gqa', { dir: join(tmp, `m${shards}`), shards, dtype: 'bf16' });
      const s = spy(folderFiles(dir));
      const streamed = await loadModelFromFiles(s.f);
      expect(s.whole.filter((n) => n.endsWith('.safetensors'))).toEqual([]);
      const headerBytes = s.bytes();
      expect(headerBytes).toBeLessThan(20_000); // headers only, so far
      const memory = await loadModelFromFiles(tinyModel('llama-gqa', { shards, dtype: 'bf16' }).files);
      const a = streamed.weights;
      const b = memory.weights;
      expect(Array.from(a.embed.load())).toEqual(Array.from(b.embed.load()));
      expect(Array.from(paramRows(a.embed, 5, 9))).toEqual(Array.from(b.embed.load().slice(5 * 32, 9 * 32)));
      expect(Array.from(a.layers[1].down.weight.load())).toEqual(Array.from(b.layers[1].down.weight.load()));
      expect(s.bytes()).toBeGreaterThan(headerBytes); // read on demand
      expect(s.whole.filter((n) => n.endsWith('.safetensors'))).toEqual([]);
    });
  }

  it("a snapshot in the Hub's disk cache (files are symlinks to blobs/) is read by range too", async () => {
    const { dir } = writeTinyModel('llama-gqa', { dir: join(tmp, 'plain'), shards: 2, dtype: 'bf16' });
    const repo = join(tmp, 'models--org--tiny');
    const snapshot = join(repo, 'snapshots', 'abc123');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snapshot, { recursive: true });
    const names = folderFiles(dir).names();
    names.forEach((name, i) => {
      renameSync(join(dir, name), join(repo, 'blobs', `blob${i}`));
      symlinkSync(join('..', '..', 'blobs', `blob${i}`), join(snapshot, name));
    });
    const s = spy(folderFiles(snapshot));
    expect(s.f.names().sort()).toEqual([...names].sort());
    const streamed = await loadModelFromFiles(s.f);
    const memory = await loadModelFromFiles(tinyModel('llama-gqa', { shards: 2, dtype: 'bf16' }).files);
    expect(Array.from(streamed.weights.layers[1].q.weight.load())).toEqual(
      Array.from(memory.weights.layers[1].q.weight.load()),
    );
    expect(s.whole.filter((n) => n.endsWith('.safetensors'))).toEqual([]);
    expect(s.bytes()).toBeGreaterThan(0);
  });

  it('a truncated file is refused when it opens, naming it', async () => {
    const { dir } = writeTinyModel('llama-gqa', { dir: join(tmp, 'cut') });
    truncateSync(join(dir, 'model.safetensors'), 4000);
    await expect(loadModelFromFiles(folderFiles(dir))).rejects.toThrow(SafetensorsRangeError);
    await expect(loadModelFromFiles(folderFiles(dir))).rejects.toThrow(/model\.safetensors.*truncated/);
  });
});
