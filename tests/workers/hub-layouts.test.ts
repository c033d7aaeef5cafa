/**
 * The Hub loader (workers/model-files.ts: openRemoteFolder + downloadFolder, the worker's path for a Hub
 * id) against a local HTTP server in the Hub's URL layout, /<owner>/<name>/resolve/main/<file> (no
 * network): the new families in each file layout their checkpoints use, one model.safetensors or shards
 * with model.safetensors.index.json, load to the same spec and weights as the files read directly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/engine/files';
import { loadModelFromFiles } from '../../src/engine/model/load';
import { downloadFolder, hubRemote, openRemoteFolder } from '../../workers/model-files';
import { type TinyModelOptions, type TinyVariant, tinyModel } from '../fixtures/tiny-models';

const REPOS: Record<string, { variant: TinyVariant; opts: TinyModelOptions }> = {
  'tiny/baichuan2-single': { variant: 'baichuan2', opts: { dtype: 'bf16' } },
  'tiny/baichuan2-sharded': { variant: 'baichuan2', opts: { dtype: 'bf16', shards: 2 } },
  'tiny/phi4-longrope-sharded': { variant: 'phi4-longrope', opts: { shards: 2 } },
  'tiny/gemma3-mm-sharded': {
    variant: 'gemma3-mm',
    opts: { dtype: 'bf16', shards: 2, prefix: 'model.language_model.' },
  },
  'tiny/gemma3-mm-single': { variant: 'gemma3-mm', opts: { dtype: 'f16' } },
};

let server: Server;
let url = '';
const log: string[] = [];

beforeAll(async () => {
  const files = Object.fromEntries(Object.entries(REPOS).map(([id, r]) => [id, tinyModel(r.variant, r.opts).fileMap]));
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(`${req.method} ${path}`);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const body = m ? files[m[1]]?.[m[2]] : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Entry not found');
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('Hub loader on the new families, each file layout', () => {
  for (const [id, { variant, opts }] of Object.entries(REPOS)) {
    it(`${id}: downloaded folder = the files, same spec and weights`, async () => {
      const env = { fetch: globalThis.fetch, caches: null };
      const folder = await openRemoteFolder(env, hubRemote(url, id));
      const sharded = opts.shards === 2;
      expect(folder.weightFiles).toEqual(
        sharded ? ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'] : ['model.safetensors'],
      );
      const { files, fromCache } = await downloadFolder(env, folder);
      expect(fromCache).toBe(false);
      const direct = tinyModel(variant, opts);
      for (const name of Object.keys(direct.fileMap))
        expect(Buffer.from(await files.read(name)).equals(Buffer.from(direct.fileMap[name])), name).toBe(true);
      const viaHub = await loadModelFromFiles(files);
      const local = await loadModelFromFiles(memoryFiles(direct.fileMap, direct.name));
      expect(viaHub.spec).toEqual(local.spec);
      expect(viaHub.parameters).toBe(local.parameters);
      const last = viaHub.spec.numLayers - 1;
      expect(Array.from(viaHub.weights.layers[last].v.weight.load())).toEqual(
        Array.from(local.weights.layers[last].v.weight.load()),
      );
      expect(Array.from(viaHub.weights.lmHead.load().subarray(0, 64))).toEqual(
        Array.from(local.weights.lmHead.load().subarray(0, 64)),
      );
      expect(log.some((l) => l.startsWith(`GET /${id}/resolve/main/`))).toBe(true);
    });
  }
});
