/**
 * Hub weight files are not held whole (issue 13): downloadFolder streams a weight file into the Cache
 * API and hands the loader its cached Blob, read by byte ranges (FetchEnv.readBlobRange; FileReaderSync
 * in the worker). A fake Cache API records every arrayBuffer() of a cached file and every range read, so
 * a loader that read the checkpoint whole would fail here. The tensors read by range are compared with
 * the same checkpoint loaded from memory.
 */
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/engine/errors';
import { memoryFiles } from '../../src/engine/files';
import { loadModelFromFiles } from '../../src/engine/model/load';
import { canStream } from '../../src/engine/model/stream-store';
import { clearCached, downloadFolder, type FetchEnv, hubRemote, openRemoteFolder } from '../../workers/model-files';
import type { WeightFile, WeightStore } from '../../workers/weight-store';
import { tinyModel } from '../fixtures/tiny-models';

const WEIGHTS = 'model.safetensors';
const tiny = tinyModel('llama-gqa', { dtype: 'bf16' });

/** A Cache API whose cached files are Blobs; logs arrayBuffer() calls and knows each Blob's bytes. */
class RecordingCaches {
  entries = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  wholeReads: string[] = [];
  bytesOf = new WeakMap<Blob, Uint8Array>();
  refusePut = false;
  async open() {
    return {
      match: async (url: string) => {
        const hit = this.entries.get(url);
        if (!hit) return undefined;
        return {
          headers: new Headers(hit.headers),
          arrayBuffer: async () => {
            this.wholeReads.push(url.split('/').pop()!);
            return hit.body.slice().buffer;
          },
          blob: async () => {
            const blob = new Blob([hit.body as Uint8Array<ArrayBuffer>]);
            this.bytesOf.set(blob, hit.body);
            return blob;
          },
        };
      },
      put: async (url: string, res: Response) => {
        if (this.refusePut && url.endsWith(WEIGHTS)) {
          await res.body?.cancel();
          throw new DOMException('Quota exceeded', 'QuotaExceededError');
        }
        this.entries.set(url, { body: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers] });
      },
      delete: async (url: string) => this.entries.delete(url),
    };
  }
}

/** A Hub that streams each file in 4 KiB chunks; `failAfter` bytes of the weights, then a network error. */
function hub(files: Record<string, Uint8Array>, failAfter?: number) {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const file = decodeURIComponent(String(input).split('/').pop()!);
    const body = files[file];
    if (!body) return new Response('Entry not found', { status: 404 });
    const headers = { 'content-length': String(body.length) };
    if (init?.method === 'HEAD') return new Response(null, { headers });
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (file === WEIGHTS && failAfter !== undefined && i >= failAfter) {
          c.error(new TypeError('network error'));
          return;
        }
        if (i >= body.length) c.close();
        else {
          c.enqueue(body.slice(i, i + 4096));
          i += 4096;
        }
      },
    });
    return new Response(stream, { headers });
  }) as typeof fetch;
}

function setup(caches: RecordingCaches, fetchFn: typeof fetch) {
  const ranges: [number, number][] = [];
  const env: FetchEnv = {
    fetch: fetchFn,
    caches: caches as unknown as CacheStorage,
    readBlobRange: (blob, begin, end) => {
      const bytes = caches.bytesOf.get(blob);
      if (!bytes) throw new Error('not a cached Blob');
      ranges.push([begin, end]);
      return bytes.slice(begin, end);
    },
  };
  return { env, ranges };
}

async function expectSameTensors(files: Parameters<typeof loadModelFromFiles>[0]) {
  const streamed = await loadModelFromFiles(files);
  const whole = await loadModelFromFiles(memoryFiles(tiny.fileMap));
  const names = whole.store.names();
  expect(streamed.store.names()).toEqual(names);
  for (const n of names) expect(streamed.store.get(n).load(), n).toEqual(whole.store.get(n).load());
  return names.length;
}

describe('Hub weight files by range from the Cache API', () => {
  const remote = hubRemote('https://hub.test', 'org/tiny');
  const size = tiny.fileMap[WEIGHTS].length;

  it('streams the download into the cache and reads the weights by range, never whole', async () => {
    const caches = new RecordingCaches();
    const { env, ranges } = setup(caches, hub(tiny.fileMap));
    const folder = await openRemoteFolder(env, remote);
    const { files, fromCache } = await downloadFolder(env, folder);
    expect(fromCache).toBe(false);
    expect(canStream(files)).toBe(true);
    expect(files.size?.(WEIGHTS)).toBe(size);
    // The cache holds the file exactly.
    expect(caches.entries.get(remote.url(WEIGHTS))?.body).toEqual(tiny.fileMap[WEIGHTS]);
    const tensors = await expectSameTensors(files);
    expect(caches.wholeReads).not.toContain(WEIGHTS);
    // The 8-byte length, the header, then one range per tensor: none is the whole file.
    expect(ranges[0]).toEqual([0, 8]);
    expect(ranges.length).toBeGreaterThanOrEqual(2 + tensors);
    expect(Math.max(...ranges.slice(1).map(([b, e]) => e - b))).toBeLessThan(size / 4);
  });

  it('reads a cached model by range on a second, offline visit', async () => {
    const caches = new RecordingCaches();
    const first = setup(caches, hub(tiny.fileMap));
    await downloadFolder(first.env, await openRemoteFolder(first.env, remote));
    const offline = setup(caches, (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch);
    const folder = await openRemoteFolder(offline.env, remote);
    expect(folder.cached).toBe(true);
    const { files, fromCache } = await downloadFolder(offline.env, folder);
    expect(fromCache).toBe(true);
    await expectSameTensors(files);
    expect(caches.wholeReads).not.toContain(WEIGHTS);
    expect(offline.ranges.length).toBeGreaterThan(2);
  });

  it('downloads into memory when the cache refuses the file (quota), and still loads', async () => {
    const caches = new RecordingCaches();
    caches.refusePut = true;
    const { env, ranges } = setup(caches, hub(tiny.fileMap));
    const { files } = await downloadFolder(env, await openRemoteFolder(env, remote));
    expect(canStream(files)).toBe(false);
    expect(await files.read(WEIGHTS)).toEqual(tiny.fileMap[WEIGHTS]);
    await expectSameTensors(files);
    expect(ranges).toEqual([]);
  });

  it('says which file failed when the network fails mid-download, and caches nothing of it', async () => {
    const caches = new RecordingCaches();
    const { env } = setup(caches, hub(tiny.fileMap, 8192));
    const folder = await openRemoteFolder(env, remote);
    const err = await downloadFolder(env, folder).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(/^Downloading model\.safetensors failed: network error/);
    expect(caches.entries.has(remote.url(WEIGHTS))).toBe(false);
  });
});

/** A WeightStore in memory (the worker's is the OPFS: workers/weight-store.ts); logs every range read. */
class MemoryWeights implements WeightStore {
  files = new Map<string, Uint8Array>();
  ranges: [number, number][] = [];
  refuseWrites = false;
  async open(url: string, create: boolean): Promise<WeightFile | null> {
    if (create) this.files.set(url, new Uint8Array(0));
    if (!this.files.has(url)) return null;
    const store = this;
    return {
      size: () => store.files.get(url)!.length,
      write(chunk, at) {
        if (store.refuseWrites) throw new DOMException('Quota exceeded', 'QuotaExceededError');
        const old = store.files.get(url)!;
        const next = new Uint8Array(Math.max(old.length, at + chunk.length));
        next.set(old);
        next.set(chunk, at);
        store.files.set(url, next);
      },
      read(begin, end) {
        store.ranges.push([begin, end]);
        return store.files.get(url)!.slice(begin, end);
      },
      finish(size) {
        store.files.set(url, store.files.get(url)!.slice(0, size));
      },
    };
  }
  async remove(url: string) {
    this.files.delete(url);
  }
}

describe('Hub weight files on disk (the OPFS in the worker)', () => {
  const remote = hubRemote('https://hub.test', 'org/tiny');
  const url = remote.url(WEIGHTS);
  const size = tiny.fileMap[WEIGHTS].length;

  function setupDisk(caches: RecordingCaches, weights: MemoryWeights, fetchFn: typeof fetch) {
    const s = setup(caches, fetchFn);
    s.env.weights = weights;
    return s;
  }

  it('writes the download to the store, reads it by range, and keeps only a marker in the Cache API', async () => {
    const caches = new RecordingCaches();
    const weights = new MemoryWeights();
    const { env, ranges } = setupDisk(caches, weights, hub(tiny.fileMap));
    const { files, fromCache } = await downloadFolder(env, await openRemoteFolder(env, remote));
    expect(fromCache).toBe(false);
    expect(weights.files.get(url)).toEqual(tiny.fileMap[WEIGHTS]);
    expect(caches.entries.get(url)?.body.length).toBe(0);
    expect(caches.entries.get(url)?.headers).toContainEqual(['x-droplab-stored', String(size)]);
    expect(canStream(files)).toBe(true);
    expect(files.size?.(WEIGHTS)).toBe(size);
    const tensors = await expectSameTensors(files);
    expect(ranges).toEqual([]); // no Blob reads
    expect(weights.ranges[0]).toEqual([0, 8]);
    expect(weights.ranges.length).toBeGreaterThanOrEqual(2 + tensors);
    expect(Math.max(...weights.ranges.slice(1).map(([b, e]) => e - b))).toBeLessThan(size / 4);
  });

  it('loads from the store offline on a second visit, and downloads again when its file is gone', async () => {
    const caches = new RecordingCaches();
    const weights = new MemoryWeights();
    const first = setupDisk(caches, weights, hub(tiny.fileMap));
    await downloadFolder(first.env, await openRemoteFolder(first.env, remote));
    const offline = setupDisk(caches, weights, (async () =>
      Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch);
    const folder = await openRemoteFolder(offline.env, remote);
    expect(folder.cached).toBe(true);
    expect(folder.weightBytes).toBe(size);
    const { files, fromCache } = await downloadFolder(offline.env, folder);
    expect(fromCache).toBe(true);
    await expectSameTensors(files);
    weights.files.clear(); // the site's storage was cleared, not the Cache API
    const again = setupDisk(caches, weights, hub(tiny.fileMap));
    const reloaded = await downloadFolder(again.env, await openRemoteFolder(again.env, remote));
    expect(reloaded.fromCache).toBe(false);
    expect(weights.files.get(url)).toEqual(tiny.fileMap[WEIGHTS]);
    await expectSameTensors(reloaded.files);
  });

  it('falls back to the Cache API when the store refuses the file (quota)', async () => {
    const caches = new RecordingCaches();
    const weights = new MemoryWeights();
    weights.refuseWrites = true;
    const { env, ranges } = setupDisk(caches, weights, hub(tiny.fileMap));
    const { files } = await downloadFolder(env, await openRemoteFolder(env, remote));
    expect(weights.files.has(url)).toBe(false);
    expect(caches.entries.get(url)?.body).toEqual(tiny.fileMap[WEIGHTS]);
    await expectSameTensors(files);
    expect(ranges.length).toBeGreaterThan(2);
  });

  it('says which file failed when the network fails mid-download, and keeps neither file nor marker', async () => {
    const caches = new RecordingCaches();
    const weights = new MemoryWeights();
    const { env } = setupDisk(caches, weights, hub(tiny.fileMap, 8192));
    const err = await downloadFolder(env, await openRemoteFolder(env, remote)).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(/^Downloading model\.safetensors failed: network error/);
    expect(caches.entries.has(url)).toBe(false);
    expect(weights.files.has(url)).toBe(false);
  });

  it('clears the stored file with the cache', async () => {
    const caches = new RecordingCaches();
    const weights = new MemoryWeights();
    const { env } = setupDisk(caches, weights, hub(tiny.fileMap));
    const folder = await openRemoteFolder(env, remote);
    await downloadFolder(env, folder);
    await clearCached(env, remote, folder.files);
    expect(weights.files.size).toBe(0);
    expect(caches.entries.has(url)).toBe(false);
  });
});
