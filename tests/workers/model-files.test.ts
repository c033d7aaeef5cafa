/**
 * The worker's model-folder reading (workers/model-files.ts) against a fake Hub (fetch) and a fake
 * Cache API: URL layout, size known before the weights, byte/file progress, offline second load,
 * errors for private/missing repos and files, cancellation, local folders.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, MissingFileError, RuntimeError } from '../../src/engine/errors';
import { loadModelFromFiles } from '../../src/engine/model/load';
import type { LoadProgress } from '../../src/engine/api';
import {
  bundledRemote,
  downloadFolder,
  type FetchEnv,
  fetchSmall,
  hubRemote,
  localFolder,
  openRemoteFolder,
} from '../../workers/model-files';
import { tinyModel } from '../fixtures/tiny-models';

class FakeCaches {
  stores = new Map<string, Map<string, { body: Uint8Array; headers: [string, string][] }>>();
  async open(name: string) {
    if (!this.stores.has(name)) this.stores.set(name, new Map());
    const store = this.stores.get(name)!;
    return {
      match: async (url: string) => {
        const hit = store.get(url);
        return hit ? new Response(hit.body as Uint8Array<ArrayBuffer>, { headers: hit.headers }) : undefined;
      },
      put: async (url: string, res: Response) => {
        store.set(url, { body: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers] });
      },
      delete: async (url: string) => store.delete(url),
    };
  }
}

/** A Hub serving `repos` at /<id>/resolve/main/<file>; `status` forces an HTTP status per repo. */
function fakeHub(repos: Record<string, Record<string, Uint8Array>>, status: Record<string, number> = {}) {
  const log: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    log.push(`${method} ${url.pathname}`);
    if (init?.signal?.aborted) throw init.signal.reason ?? new DOMException('aborted', 'AbortError');
    const m = /^\/(.+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    if (!m) return new Response('no', { status: 404 });
    const [, id, file] = m;
    if (status[id]) return new Response('denied', { status: status[id] });
    const body = repos[id]?.[decodeURIComponent(file)];
    if (!body) return new Response('Entry not found', { status: 404 });
    const headers = { 'content-length': String(body.length) };
    if (method === 'HEAD') return new Response(null, { headers });
    // Stream in chunks so progress has several steps.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += 4096) c.enqueue(body.slice(i, i + 4096));
        c.close();
      },
    });
    return new Response(stream, { headers });
  }) as typeof fetch;
  return { fetch: fetchFn, log };
}

const tiny = tinyModel('llama-gqa');
const sharded = tinyModel('qwen2', { shards: 2, dtype: 'bf16' });

function env(
  hub: { fetch: typeof fetch },
  caches: FakeCaches | null = new FakeCaches(),
  signal?: AbortSignal,
): FetchEnv {
  return { fetch: hub.fetch, caches: caches as unknown as CacheStorage, signal };
}

describe('Hub folders', () => {
  it('uses the Hub URL layout and learns the weight size before downloading weights', async () => {
    const hub = fakeHub({ 'org/tiny': tiny.fileMap });
    const remote = hubRemote('http://127.0.0.1:9/', 'org/tiny');
    expect(remote.url('config.json')).toBe('http://127.0.0.1:9/org/tiny/resolve/main/config.json');
    const folder = await openRemoteFolder(env(hub), remote);
    expect(hub.log).toEqual([
      'GET /org/tiny/resolve/main/config.json',
      'GET /org/tiny/resolve/main/generation_config.json',
      'GET /org/tiny/resolve/main/model.safetensors.index.json',
      'HEAD /org/tiny/resolve/main/model.safetensors',
    ]);
    expect(folder.weightBytes).toBe(tiny.fileMap['model.safetensors'].length);
    expect(folder.files).toEqual(['tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    expect(folder.cached).toBe(false);
  });

  it('downloads with byte and file progress, caches, and loads offline the second time', async () => {
    const hub = fakeHub({ 'org/tiny': tiny.fileMap });
    const caches = new FakeCaches();
    const remote = hubRemote('https://hub.test', 'org/tiny');
    const folder = await openRemoteFolder(env(hub, caches), remote);
    const events: LoadProgress[] = [];
    const { files, fromCache } = await downloadFolder(env(hub, caches), folder, (p) => events.push(p));
    expect(fromCache).toBe(false);
    for (const [name, bytes] of Object.entries(tiny.fileMap)) expect(await files.read(name), name).toEqual(bytes);
    const total = ['tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].reduce(
      (n, f) => n + tiny.fileMap[f].length,
      0,
    );
    const last = events[events.length - 1];
    expect(last).toMatchObject({ stage: 'download', unit: 'bytes', done: total, total, files: { done: 3, total: 3 } });
    expect(events.length).toBeGreaterThan(6);
    for (let i = 1; i < events.length; i++) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    // The engine loads what was downloaded.
    const loaded = await loadModelFromFiles(files);
    expect(loaded.spec.numLayers).toBe(tiny.config.num_hidden_layers);

    // Second visit, offline: every request fails, the cache serves everything.
    const offline = { fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch };
    const again = await openRemoteFolder(env(offline, caches), remote);
    expect(again.cached).toBe(true);
    const second = await downloadFolder(env(offline, caches), again);
    expect(second.fromCache).toBe(true);
    expect(await second.files.read('model.safetensors')).toEqual(tiny.fileMap['model.safetensors']);
  });

  it('reads sharded checkpoints through their index', async () => {
    const hub = fakeHub({ 'org/sharded': sharded.fileMap });
    const folder = await openRemoteFolder(env(hub), hubRemote('https://hub.test', 'org/sharded'));
    expect(folder.weightFiles).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(folder.weightBytes).toBeGreaterThan(0);
    expect(hub.log.some((l) => l.startsWith('HEAD'))).toBe(false);
    const { files } = await downloadFolder(env(hub), folder);
    const loaded = await loadModelFromFiles(files);
    expect(loaded.spec.family).toBe('qwen2');
  });

  it('says a private, gated or missing repository clearly (401/403)', async () => {
    for (const status of [401, 403]) {
      const hub = fakeHub({}, { 'secret/model': status });
      const err = await openRemoteFolder(env(hub), hubRemote('https://hub.test', 'secret/model')).catch((e) => e);
      expect(err).toBeInstanceOf(MissingFileError);
      expect(err.message).toMatch(
        new RegExp(
          `repository secret/model could not be read \\(HTTP ${status}\\): it is private or gated, or it does not exist`,
        ),
      );
    }
  });

  it('says a repository or a file is missing (404)', async () => {
    const err = await openRemoteFolder(env(fakeHub({})), hubRemote('https://hub.test', 'nobody/nothing')).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(MissingFileError);
    expect(err.message).toMatch(/nobody\/nothing was not found \(HTTP 404\)/);
    const { 'model.safetensors': _, ...noWeights } = tiny.fileMap;
    const err2 = await openRemoteFolder(env(fakeHub({ 'a/b': noWeights })), hubRemote('https://hub.test', 'a/b')).catch(
      (e) => e,
    );
    expect(err2.message).toMatch(/model\.safetensors is missing from the Hub repository a\/b/);
    const { 'tokenizer.json': __, ...noTok } = tiny.fileMap;
    const hub3 = fakeHub({ 'a/c': noTok });
    const folder = await openRemoteFolder(env(hub3), hubRemote('https://hub.test', 'a/c'));
    const err3 = await downloadFolder(env(hub3), folder).catch((e) => e);
    expect(err3.message).toMatch(/tokenizer\.json is missing/);
  });

  it('skips a missing tokenizer_config.json', async () => {
    const { 'tokenizer_config.json': _, ...files } = tiny.fileMap;
    const hub = fakeHub({ 'a/b': files });
    const folder = await openRemoteFolder(env(hub), hubRemote('https://hub.test', 'a/b'));
    const r = await downloadFolder(env(hub), folder);
    expect(r.files.names()).not.toContain('tokenizer_config.json');
  });

  it('reports a network failure with what to do', async () => {
    const down = { fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch };
    const err = await fetchSmall(env(down), hubRemote('https://hub.test', 'a/b'), 'config.json').catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(/Could not reach the Hub repository a\/b.*network/);
  });

  it('cancels a download', async () => {
    const hub = fakeHub({ 'a/b': tiny.fileMap });
    const ctl = new AbortController();
    const folder = await openRemoteFolder(env(hub), hubRemote('https://hub.test', 'a/b'));
    ctl.abort();
    const err = await downloadFolder(env(hub, null, ctl.signal), folder).catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
  });

  it('takes an HTML page (a single-page-app fallback with status 200) for a missing file', async () => {
    const files = tiny.fileMap;
    const spa = {
      fetch: (async (input: RequestInfo | URL) => {
        const file = String(input).split('/').pop()!;
        if (files[file])
          return new Response(files[file] as Uint8Array<ArrayBuffer>, {
            headers: { 'content-type': 'application/json' },
          });
        return new Response('<!doctype html><html></html>', { headers: { 'content-type': 'text/html' } });
      }) as typeof fetch,
    };
    const folder = await openRemoteFolder(env(spa, null), bundledRemote('http://localhost:4173/', 'droplab-byte-12l'));
    expect(folder.index).toBeNull();
    expect(folder.weightFiles).toEqual(['model.safetensors']);
  });

  it('reads a bundled model from the app server without the Cache API', async () => {
    const remote = bundledRemote('http://localhost:4173/app/', 'droplab-byte-12l');
    expect(remote.url('config.json')).toBe('http://localhost:4173/app/models/droplab-byte-12l/config.json');
    expect(remote.cacheName).toBeNull();
  });
});

describe('local folders', () => {
  it('strips the folder name, reads on demand with progress', async () => {
    const files = Object.entries(tiny.fileMap).map(([name, bytes]) => ({
      path: `my-model/${name}`,
      file: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    }));
    const events: LoadProgress[] = [];
    const folder = localFolder(files, 'my-model', (p) => events.push(p));
    expect(folder.names().sort()).toEqual(Object.keys(tiny.fileMap).sort());
    const loaded = await loadModelFromFiles(folder);
    expect(loaded.spec.numLayers).toBe(tiny.config.num_hidden_layers);
    expect(events.at(-1)?.stage).toBe('read');
    await expect(folder.read('nope.json')).rejects.toThrow(/nope\.json is missing from the folder my-model/);
  });
  it('keeps flat paths as they are', () => {
    const folder = localFolder([{ path: 'config.json', file: new Blob(['{}']) }], 'x');
    expect(folder.names()).toEqual(['config.json']);
  });
});
