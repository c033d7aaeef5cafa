/**
 * Model folders for the engine worker, as ModelFiles (src/engine/api.ts):
 *
 * - bundled: `${baseUrl}models/<name>/<file>` from this app's server (the browser's HTTP cache applies);
 * - Hugging Face Hub: `${endpoint}/<id>/resolve/<revision>/<file>`, kept in the Cache API so a second
 *   visit loads offline;
 * - local: the File objects of a folder the person picked or dropped.
 *
 * The folder is read in two phases. `openRemoteFolder` reads only config.json (and the shard index,
 * and the sizes of the weight files where the server tells them): enough to refuse an unsupported
 * family or a model too large for this device before any weight is downloaded. `download` then fetches
 * the remaining files with byte and file progress. Small files come back in memory. A weight file of a
 * Hub folder is written chunk by chunk to the Origin Private File System in the worker (weight-store.ts)
 * and read back by byte ranges, a tensor at a time, like a local folder's files: a Hub model is never held
 * whole. Without the OPFS it is streamed into the Cache API and read back as a Blob by ranges (in
 * Chromium that held a copy of the file in the renderer: issue 13).
 *
 * Errors are DropLab's named errors with messages for the person: 401/403 (private or gated repo, or no
 * such repo: the Hub answers 401 for both), 404 (no such repo, revision or file), network failures.
 */
import type { LoadProgress, LocalFile, ModelFiles } from '../src/engine/api';
import { CancelledError, MissingFileError, RuntimeError } from '../src/engine/errors';
import { memoryFiles, parseJsonObject } from '../src/engine/files';
import type { WeightFile, WeightStore } from './weight-store';

export const CONFIG = 'config.json';
export const TOKENIZER = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';
export const GENERATION_CONFIG = 'generation_config.json';
export const SINGLE = 'model.safetensors';
export const INDEX = 'model.safetensors.index.json';
export const HUB_CACHE = 'droplab-hub-v1';
export const DEFAULT_HUB = 'https://huggingface.co';

export interface Remote {
  /** Absolute URL of a file of the folder. */
  url(file: string): string;
  /** Says where the files come from, in messages: "the Hub repository Qwen/Qwen2.5-0.5B". */
  label: string;
  /** Cache API cache name, or null for no Cache API (bundled models). */
  cacheName: string | null;
  /** 401/403 mean a private or missing repo (Hub), not just a missing file. */
  hub: boolean;
  /**
   * Headers for this remote's own origin: the Hub access token (Authorization). fetch follows the Hub's
   * redirects of weight files to its CDN hosts, and drops Authorization when a redirect leaves the origin
   * (the Fetch standard; tests/workers/hub-token.test.ts and e2e/hub.spec.ts check Node's and Chromium's).
   */
  headers?: Record<string, string>;
}

/** A Hub access token as the Hub issues them (hf_...): printable ASCII, no spaces; RuntimeError otherwise. */
export function checkHubToken(token: string): string {
  const t = token.trim();
  if (!/^[\x21-\x7e]{8,512}$/.test(t))
    throw new RuntimeError(
      'That access token cannot be right: a Hugging Face token is one word of letters and digits (it starts with hf_). Copy it again from your Hub settings.',
    );
  return t;
}

export function hubRemote(endpoint: string, id: string, revision = 'main', token: string | null = null): Remote {
  const base = endpoint.replace(/\/+$/, '');
  const rev = encodeURIComponent(revision);
  return {
    url: (file) => `${base}/${id}/resolve/${rev}/${file.split('/').map(encodeURIComponent).join('/')}`,
    label: `the Hub repository ${id}${revision !== 'main' ? `@${revision}` : ''}`,
    cacheName: HUB_CACHE,
    hub: true,
    ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
  };
}

export function bundledRemote(baseUrl: string, name: string): Remote {
  const base = new URL(`models/${encodeURIComponent(name)}/`, baseUrl).href;
  return { url: (file) => new URL(file, base).href, label: `the bundled model ${name}`, cacheName: null, hub: false };
}

export interface FetchEnv {
  fetch: typeof fetch;
  caches: CacheStorage | null;
  signal?: AbortSignal;
  /**
   * Reads bytes [begin, end) of a Blob synchronously (FileReaderSync in a worker: `syncBlobReader`).
   * With it and the Cache API, weight files are read from their cached Blobs by range; without it
   * (Node, a window), they are read whole.
   */
  readBlobRange?: BlobRangeReader | null;
  /**
   * Where Hub weight files go on disk instead of the Cache API (the OPFS in a worker: weight-store.ts),
   * written chunk by chunk while downloading and read by range; the Cache API keeps a marker for each.
   */
  weights?: WeightStore | null;
}

/** Bytes [begin, end) of a Blob, read synchronously. */
export type BlobRangeReader = (blob: Blob, begin: number, end: number) => Uint8Array;

/** FileReaderSync on a slice: a worker's synchronous Blob reads; null where there is none (Node, a window). */
export function syncBlobReader(): BlobRangeReader | null {
  const Sync = (globalThis as { FileReaderSync?: new () => { readAsArrayBuffer(b: Blob): ArrayBuffer } })
    .FileReaderSync;
  return Sync ? (blob, begin, end) => new Uint8Array(new Sync().readAsArrayBuffer(blob.slice(begin, end))) : null;
}

function httpError(remote: Remote, file: string, status: number): Error {
  if (remote.hub && (status === 401 || status === 403)) {
    return new MissingFileError(
      remote.headers
        ? `${cap(remote.label)} refused your access token (HTTP ${status}). If the model is gated, open its page on the Hub while signed in ` +
            'and accept its licence (access can take a while to be granted); otherwise check that the token is current and may read this repository.'
        : `${cap(remote.label)} could not be read (HTTP ${status}): it is private or gated, or it does not exist. ` +
            'For a gated or private model, give an access token in the Hub tab (Access token); otherwise check the id (owner/name).',
      { file, status, token: !!remote.headers },
    );
  }
  if (status === 404) {
    return new MissingFileError(
      file === CONFIG && remote.hub
        ? `${cap(remote.label)} was not found (HTTP 404): no such model, or no such revision. Check the id.`
        : `${file} is missing from ${remote.label} (HTTP 404). A model folder needs config.json, tokenizer.json and safetensors weights.`,
      { file, status },
    );
  }
  return new RuntimeError(`Reading ${file} from ${remote.label} failed (HTTP ${status}). Try again later.`, {
    file,
    status,
  });
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function aborted(env: FetchEnv): boolean {
  return !!env.signal?.aborted;
}

/**
 * A missing file: HTTP 404, or an HTML page where a model file was asked for (single-page-app servers,
 * `vite preview` included, answer unknown paths with index.html and status 200).
 */
function responseStatus(res: Response): number {
  if (res.ok && (res.headers.get('content-type') ?? '').includes('text/html')) return 404;
  return res.status;
}

async function cached(env: FetchEnv, remote: Remote, file: string): Promise<Response | null> {
  if (!remote.cacheName || !env.caches) return null;
  try {
    const cache = await env.caches.open(remote.cacheName);
    return (await cache.match(remote.url(file))) ?? null;
  } catch {
    return null;
  }
}

async function get(env: FetchEnv, remote: Remote, file: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
  if (aborted(env)) throw new CancelledError('Loading was cancelled.');
  let res: Response;
  try {
    res = await env.fetch(remote.url(file), {
      method,
      signal: env.signal,
      mode: 'cors',
      credentials: 'omit',
      ...(remote.headers ? { headers: remote.headers } : {}),
    });
  } catch (e) {
    if (aborted(env)) throw new CancelledError('Loading was cancelled.');
    throw new RuntimeError(
      `Could not reach ${remote.label} to read ${file} (${e instanceof Error ? e.message : String(e)}). ` +
        'Check the network connection; models loaded once before load offline from the cache.',
      { file },
    );
  }
  return res;
}

/** Fetch a small file (cache first). `optional`: null on 404 instead of an error. */
export async function fetchSmall(
  env: FetchEnv,
  remote: Remote,
  file: string,
  optional = false,
): Promise<Uint8Array | null> {
  const hit = await cached(env, remote, file);
  if (hit) return hit.headers.get(ABSENT_HEADER) ? null : new Uint8Array(await hit.arrayBuffer());
  const res = await get(env, remote, file);
  const status = responseStatus(res);
  if (status !== 200 && !(status >= 200 && status < 300)) {
    if (optional && (status === 404 || (remote.hub && status >= 400 && status < 500 && file !== CONFIG))) {
      await storeAbsent(env, remote, file); // so that an offline visit knows it is absent, not unreachable
      return null;
    }
    throw httpError(remote, file, status);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  await store(env, remote, file, bytes);
  return bytes;
}

const ABSENT_HEADER = 'x-droplab-absent';
/** A Cache API marker for a weight file kept in the WeightStore; its value is the file's size. */
const STORED_HEADER = 'x-droplab-stored';

async function storeAbsent(env: FetchEnv, remote: Remote, file: string): Promise<void> {
  if (!remote.cacheName || !env.caches) return;
  try {
    const cache = await env.caches.open(remote.cacheName);
    await cache.put(remote.url(file), new Response(new Uint8Array(0), { headers: { [ABSENT_HEADER]: '1' } }));
  } catch {
    // not cached: only an offline visit notices
  }
}

async function store(env: FetchEnv, remote: Remote, file: string, bytes: Uint8Array): Promise<void> {
  if (!remote.cacheName || !env.caches) return;
  try {
    const cache = await env.caches.open(remote.cacheName);
    await cache.put(
      remote.url(file),
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      }),
    );
  } catch {
    // Quota or a private window: the model still loads, only not offline next time.
  }
}

/** What is known about a remote folder before its weights are downloaded. */
export interface RemoteFolder {
  remote: Remote;
  config: Uint8Array;
  generationConfig: Uint8Array | null;
  index: Uint8Array | null;
  /** Every file to download (config.json and the index excluded: they are already here). */
  files: string[];
  /** Weight files, with sizes where known (cache, index total_size, or the server's content-length). */
  weightFiles: string[];
  weightBytes: number | null;
  /** Every file is already in the Cache API. */
  cached: boolean;
}

/**
 * `checkConfig` runs on config.json (and generation_config.json) before anything else is requested:
 * the worker refuses an unsupported family there, before even the weights' size is asked for.
 */
export async function openRemoteFolder(
  env: FetchEnv,
  remote: Remote,
  checkConfig?: (config: Uint8Array, generationConfig: Uint8Array | null) => Promise<void>,
): Promise<RemoteFolder> {
  const config = (await fetchSmall(env, remote, CONFIG))!;
  parseJsonObject(config, CONFIG); // a clear error for a broken config.json before anything else
  const generationConfig = await fetchSmall(env, remote, GENERATION_CONFIG, true);
  await checkConfig?.(config, generationConfig);
  const index = await fetchSmall(env, remote, INDEX, true);
  let weightFiles: string[];
  let weightBytes: number | null = null;
  if (index) {
    const parsed = parseJsonObject(index, INDEX) as { weight_map?: unknown; metadata?: { total_size?: unknown } };
    const wm = parsed.weight_map;
    if (!wm || typeof wm !== 'object' || Array.isArray(wm))
      throw new MissingFileError(`${INDEX} in ${remote.label} has no weight_map.`, { file: INDEX });
    weightFiles = [
      ...new Set(Object.values(wm as Record<string, unknown>).filter((v): v is string => typeof v === 'string')),
    ];
    if (weightFiles.some((f) => f.includes('..') || f.startsWith('/')))
      throw new MissingFileError(`${INDEX} names a shard outside the folder.`, { file: INDEX });
    const total = parsed.metadata?.total_size;
    weightBytes = typeof total === 'number' && Number.isFinite(total) ? total : null;
  } else {
    weightFiles = [SINGLE];
    weightBytes = await remoteSize(env, remote, SINGLE);
  }
  const files = [TOKENIZER, TOKENIZER_CONFIG, ...weightFiles];
  let allCached = !!remote.cacheName && !!env.caches;
  if (allCached) {
    for (const f of [TOKENIZER, ...weightFiles]) {
      if (!(await cached(env, remote, f))) {
        allCached = false;
        break;
      }
    }
  }
  return { remote, config, generationConfig, index, files, weightFiles, weightBytes, cached: allCached };
}

/** A file's size without downloading it: from the cache, else a HEAD request; null if unknown. */
async function remoteSize(env: FetchEnv, remote: Remote, file: string): Promise<number | null> {
  const hit = await cached(env, remote, file);
  if (hit) {
    const n = Number(hit.headers.get(STORED_HEADER) ?? hit.headers.get('content-length'));
    if (Number.isFinite(n) && n > 0) return n;
  }
  try {
    const res = await get(env, remote, file, 'HEAD');
    const status = responseStatus(res);
    if (status < 200 || status >= 300) {
      if (status === 404 || (remote.hub && (status === 401 || status === 403))) throw httpError(remote, file, status);
      return null;
    }
    const linked = Number(res.headers.get('x-linked-size')); // the Hub, for LFS files
    if (Number.isFinite(linked) && linked > 0) return linked;
    const n = Number(res.headers.get('content-length'));
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch (e) {
    if (e instanceof MissingFileError || e instanceof CancelledError) throw e;
    return null;
  }
}

/** Download every file of the folder (cache first), reporting bytes and files. */
export async function downloadFolder(
  env: FetchEnv,
  folder: RemoteFolder,
  onProgress?: (p: LoadProgress) => void,
): Promise<{ files: ModelFiles; fromCache: boolean }> {
  const { remote } = folder;
  const map: Record<string, Uint8Array> = { [CONFIG]: folder.config };
  const blobs = new Map<string, Blob>();
  if (folder.generationConfig) map[GENERATION_CONFIG] = folder.generationConfig;
  if (folder.index) map[INDEX] = folder.index;
  const total = folder.files.length;
  let bytesDone = 0;
  let bytesTotal = folder.weightBytes ?? 0;
  let fromCache = true;
  const report = (file: string, filesDone: number) =>
    onProgress?.({
      stage: 'download',
      done: bytesDone,
      total: Math.max(bytesTotal, bytesDone),
      unit: 'bytes',
      files: { done: filesDone, total },
      file,
    });
  // Weight files by range from their cached Blobs, where the Cache API and a synchronous Blob reader exist.
  const ranged = !!(remote.cacheName && env.caches && env.readBlobRange);
  // Or better, from files on disk (the OPFS), where there is a WeightStore.
  const stored = new Map<string, WeightFile>();
  const onDisk = !!(remote.cacheName && env.caches && env.weights);

  for (let i = 0; i < folder.files.length; i++) {
    const file = folder.files[i];
    const isWeight = folder.weightFiles.includes(file);
    report(file, i);
    let hit = await cached(env, remote, file);
    if (hit?.headers.get(ABSENT_HEADER)) continue;
    if (hit?.headers.get(STORED_HEADER)) {
      const weights = await openStored(env, remote, file, Number(hit.headers.get(STORED_HEADER)));
      if (weights) {
        stored.set(file, weights);
        bytesDone += weights.size();
        report(file, i + 1);
        continue;
      }
      hit = null; // its file is gone (the site's storage was cleared): download it again
    }
    if (hit) {
      if (ranged && isWeight) {
        const blob = await hit.blob();
        blobs.set(file, blob);
        bytesDone += blob.size;
      } else {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        if (!isWeight) bytesTotal += bytes.length;
        bytesDone += bytes.length;
        map[file] = bytes;
      }
      report(file, i + 1);
      continue;
    }
    const res = await get(env, remote, file);
    const status = responseStatus(res);
    if (status < 200 || status >= 300) {
      if (file === TOKENIZER_CONFIG && (status === 404 || (remote.hub && status < 500))) {
        await storeAbsent(env, remote, file); // optional
        continue;
      }
      throw httpError(remote, file, status);
    }
    fromCache = false;
    const length = Number(res.headers.get('content-length'));
    if (!isWeight && Number.isFinite(length) && length > 0) bytesTotal += length;
    const before = bytesDone;
    const onChunk = (n: number) => {
      bytesDone += n;
      report(file, i);
    };
    // A weight file goes to disk (the OPFS), else into the Cache API, else into memory. A place that refuses
    // it (quota) has used up the response, so the next one downloads the file again.
    let unread: Response | null = res;
    const body = async (): Promise<Response> => {
      const r = unread;
      unread = null;
      if (r) return r;
      bytesDone = before;
      return get(env, remote, file);
    };
    const weights = onDisk && isWeight ? await streamToStore(env, remote, file, await body(), onChunk) : null;
    const blob = !weights && ranged && isWeight ? await streamToCache(env, remote, file, await body(), onChunk) : null;
    if (weights) stored.set(file, weights);
    else if (blob) blobs.set(file, blob);
    else {
      // Not streamed to disk or the cache (none, a small file, or refused: quota): in memory.
      const bytes = await readBody(await body(), file, env, onChunk);
      await store(env, remote, file, bytes);
      map[file] = bytes;
    }
    report(file, i + 1);
  }
  return { files: folderFiles(map, blobs, stored, remote.label, env.readBlobRange ?? null), fromCache };
}

/** A weight file of the WeightStore with the size its marker says, or null (gone, or cut short). */
async function openStored(env: FetchEnv, remote: Remote, file: string, size: number): Promise<WeightFile | null> {
  try {
    const f = await env.weights?.open(remote.url(file), false);
    if (f && f.size() === size && size > 0) return f;
  } catch {
    // locked by another tab, or unreadable: downloaded again
  }
  return null;
}

/**
 * Streams a response into the WeightStore (progress per chunk), then marks it in the Cache API; returns
 * the file, or null when the store refused it (quota, another tab holds it; the caller downloads it
 * again). A network failure or a cancel mid-stream is an error, and leaves no marker.
 */
async function streamToStore(
  env: FetchEnv,
  remote: Remote,
  file: string,
  res: Response,
  onChunk: (n: number) => void,
): Promise<WeightFile | null> {
  if (!res.body || !remote.cacheName || !env.caches || !env.weights) return null;
  const url = remote.url(file);
  let out: WeightFile | null = null;
  try {
    out = await env.weights.open(url, true);
  } catch {
    out = null;
  }
  if (!out) {
    await res.body.cancel().catch(() => {});
    return null;
  }
  const reader = res.body.getReader();
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      await env.weights.remove(url);
      if (aborted(env)) throw new CancelledError('Loading was cancelled.');
      throw new RuntimeError(`Downloading ${file} failed: ${e instanceof Error ? e.message : String(e)}`, { file });
    }
    if (chunk.done) break;
    try {
      out.write(chunk.value, size);
    } catch {
      await reader.cancel().catch(() => {}); // the disk refused it (quota)
      await env.weights.remove(url);
      return null;
    }
    size += chunk.value.length;
    onChunk(chunk.value.length);
  }
  try {
    out.finish(size);
    const cache = await env.caches.open(remote.cacheName);
    await cache.put(url, new Response(new Uint8Array(0), { headers: { [STORED_HEADER]: String(size) } }));
  } catch {
    // no marker: the file is used now, and downloaded again next time
  }
  return out;
}

/**
 * Streams a response into the Cache API (progress per chunk) and returns the cached file as a Blob, or
 * null when the cache refused it (quota, a private window; the caller downloads it again into memory).
 * A network failure or a cancel mid-stream is an error, as for a download into memory.
 */
async function streamToCache(
  env: FetchEnv,
  remote: Remote,
  file: string,
  res: Response,
  onChunk: (n: number) => void,
): Promise<Blob | null> {
  if (!res.body || !remote.cacheName || !env.caches) return null;
  const reader = res.body.getReader();
  let readError: unknown = null;
  const counted = new ReadableStream<Uint8Array>({
    async pull(c) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        readError = e; // the network: the stream errors and put() rejects
        throw e;
      }
      try {
        if (chunk.done) c.close();
        else {
          onChunk(chunk.value.length);
          c.enqueue(chunk.value);
        }
      } catch {
        // the cache cancelled the stream (it refused the file)
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  const length = res.headers.get('content-length');
  if (length) headers['content-length'] = length;
  try {
    const cache = await env.caches.open(remote.cacheName);
    await cache.put(remote.url(file), new Response(counted, { headers }));
    const hit = await cache.match(remote.url(file));
    return hit ? await hit.blob() : null;
  } catch {
    if (aborted(env)) throw new CancelledError('Loading was cancelled.');
    if (readError) {
      const why = readError instanceof Error ? readError.message : String(readError);
      throw new RuntimeError(`Downloading ${file} failed: ${why}`, { file });
    }
    await reader.cancel().catch(() => {}); // the cache refused it
    return null;
  }
}

/**
 * The downloaded folder: small files in memory, weight files as Blobs read by range (`readBlob`), so
 * the checkpoint streams a tensor at a time (src/engine/model/stream-store.ts).
 */
function folderFiles(
  map: Record<string, Uint8Array>,
  blobs: Map<string, Blob>,
  stored: Map<string, WeightFile>,
  label: string,
  readBlob: BlobRangeReader | null,
): ModelFiles {
  const mem = memoryFiles(map, label);
  if (!stored.size && (!blobs.size || !readBlob)) return mem;
  const missing = (n: string) => new MissingFileError(`${n} is missing from ${label}.`, { file: n });
  return {
    names: () => [...mem.names(), ...blobs.keys(), ...stored.keys()],
    read: async (n) => {
      const blob = blobs.get(n);
      const file = stored.get(n);
      if (file) return file.read(0, file.size());
      return blob ? new Uint8Array(await blob.arrayBuffer()) : mem.read(n);
    },
    size: (n) => {
      const size = stored.get(n)?.size() ?? blobs.get(n)?.size ?? map[n]?.length;
      if (size === undefined) throw missing(n);
      return size;
    },
    readRange: (n, begin, end) => {
      const file = stored.get(n);
      if (file) return file.read(begin, end);
      const blob = blobs.get(n);
      if (blob && readBlob) return readBlob(blob, begin, end);
      if (!map[n]) throw missing(n);
      return map[n].slice(begin, end);
    },
  };
}

async function readBody(res: Response, file: string, env: FetchEnv, onChunk: (n: number) => void): Promise<Uint8Array> {
  const length = Number(res.headers.get('content-length'));
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onChunk(b.length);
    return b;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let out: Uint8Array | null = Number.isFinite(length) && length > 0 ? new Uint8Array(length) : null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (out && size + value.length <= out.length) out.set(value, size);
      else {
        if (out) {
          chunks.push(out.subarray(0, size));
          out = null;
        }
        chunks.push(value);
      }
      size += value.length;
      onChunk(value.length);
    }
  } catch (e) {
    if (aborted(env)) throw new CancelledError('Loading was cancelled.');
    throw new RuntimeError(`Downloading ${file} failed: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
  if (out) return size === out.length ? out : out.subarray(0, size);
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}

/** Remove a remote folder's files from the Cache API. */
export async function clearCached(env: FetchEnv, remote: Remote, files: string[]): Promise<void> {
  if (!remote.cacheName || !env.caches) return;
  const cache = await env.caches.open(remote.cacheName);
  for (const f of [CONFIG, GENERATION_CONFIG, INDEX, ...files]) {
    await cache.delete(remote.url(f));
    await env.weights?.remove(remote.url(f));
  }
}

// ---------------------------------------------------------------------------------------------------
// Local folders.

/**
 * A picked or dropped folder's files, keyed by path relative to the folder (the folder's own name, the
 * first path segment of every file, is removed when all files share it).
 */
export function localFolder(files: LocalFile[], name: string, onProgress?: (p: LoadProgress) => void): ModelFiles {
  const parts = files.map((f) => f.path.replace(/^\/+/, '').split('/'));
  const first = parts[0]?.[0];
  const strip = parts.length > 0 && parts.every((p) => p.length > 1 && p[0] === first);
  const byName = new Map<string, LocalFile['file']>();
  files.forEach((f, i) => {
    const rel = (strip ? parts[i].slice(1) : parts[i]).join('/');
    if (rel && !rel.split('/').some((s) => s === '..')) byName.set(rel, f.file);
  });
  const needed = [...byName.keys()].filter((n) => n.endsWith('.json') || n.endsWith('.safetensors'));
  const total = needed.length;
  let filesDone = 0;
  let bytesDone = 0;
  const bytesTotal = needed.reduce((s, n) => s + (byName.get(n)?.size ?? 0), 0);
  // In a worker, weights stream from the files a tensor at a time (FileReaderSync on a slice): the
  // engine holds no copy of a checkpoint (src/engine/model/stream-store.ts).
  const readBlob = syncBlobReader();
  const blobOf = (n: string) => {
    const blob = byName.get(n);
    if (!blob) throw new MissingFileError(`${n} is missing from the folder ${name}.`, { file: n });
    return blob as unknown as Blob;
  };
  const ranges = readBlob
    ? {
        size: (n: string) => blobOf(n).size,
        readRange: (n: string, begin: number, end: number) => readBlob(blobOf(n), begin, end),
      }
    : {};
  return {
    ...ranges,
    names: () => [...byName.keys()],
    read: async (n: string) => {
      const blob = byName.get(n);
      if (!blob) throw new MissingFileError(`${n} is missing from the folder ${name}.`, { file: n });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      filesDone++;
      bytesDone += bytes.length;
      onProgress?.({
        stage: 'read',
        done: bytesDone,
        total: Math.max(bytesTotal, bytesDone),
        unit: 'bytes',
        files: { done: Math.min(filesDone, total), total },
        file: n,
      });
      return bytes;
    },
  };
}
