/**
 * Gated Hub models (issue 13 item 5) through the worker's Hub loader (workers/model-files.ts) in Node:
 * the access token goes to the Hub origin and nowhere else. A local "Hub" requires it for the gated
 * repository and redirects the weight file to a second local server on another origin, as the Hub
 * redirects LFS files to its CDN; that server must never see an Authorization header. 401/403 say what
 * to do, with and without a token, and never contain the token.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHubToken, downloadFolder, hubRemote, openRemoteFolder } from '../../workers/model-files';
import { tinyModel } from '../fixtures/tiny-models';

const TOKEN = 'hf_TestTokenAbc123XyZ';
const files = tinyModel('llama-gqa').fileMap;
let hub: Server;
let cdn: Server;
let hubUrl = '';
let cdnUrl = '';
const seen: { server: 'hub' | 'cdn'; path: string; auth: string | undefined }[] = [];

const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
const auth = (h: IncomingHttpHeaders) => (typeof h.authorization === 'string' ? h.authorization : undefined);

beforeAll(async () => {
  cdn = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ server: 'cdn', path, auth: auth(req.headers) });
    const body = files[path.replace(/^\/lfs\//, '')];
    if (!body) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-length': String(body.length) })
      .end(req.method === 'HEAD' ? undefined : Buffer.from(body));
  });
  hub = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    seen.push({ server: 'hub', path, auth: auth(req.headers) });
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    if (!m) return void res.writeHead(404).end();
    const [, id, file] = m;
    if (id === 'gated/model' && auth(req.headers) !== `Bearer ${TOKEN}`)
      return void res
        .writeHead(auth(req.headers) ? 403 : 401, { 'content-type': 'text/plain' })
        .end('Access to model gated/model is restricted.');
    const body = files[file];
    if (!body) return void res.writeHead(404).end();
    if (file.endsWith('.safetensors'))
      // Weights live on another origin, as the Hub's LFS files do.
      return void res.writeHead(302, { location: `${cdnUrl}/lfs/${file}`, 'x-linked-size': String(body.length) }).end();
    res
      .writeHead(200, { 'content-length': String(body.length) })
      .end(req.method === 'HEAD' ? undefined : Buffer.from(body));
  });
  cdnUrl = await listen(cdn);
  hubUrl = await listen(hub);
});

afterAll(async () => {
  await Promise.all([hub, cdn].map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const env = () => ({ fetch: globalThis.fetch, caches: null });

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('gated Hub models: the access token', () => {
  it('without a token: 401 says to give one, in the Hub tab', async () => {
    const e = await failure(openRemoteFolder(env(), hubRemote(hubUrl, 'gated/model')));
    expect(e.message).toMatch(/HTTP 401.*give an access token in the Hub tab \(Access token\)/);
  });

  it('with a wrong token: 403 says to accept the licence or check the token, and never shows the token', async () => {
    const e = await failure(openRemoteFolder(env(), hubRemote(hubUrl, 'gated/model', 'main', 'hf_wrongtoken123')));
    expect(e.message).toMatch(/refused your access token \(HTTP 403\).*accept its licence.*check that the token/);
    expect(e.message).not.toContain('hf_wrongtoken123');
    expect(JSON.stringify(e)).not.toContain('hf_wrongtoken123');
  });

  it('with the token: the model downloads; the token reaches the Hub origin only, never the CDN it redirects to', async () => {
    seen.length = 0;
    const remote = hubRemote(hubUrl, 'gated/model', 'main', TOKEN);
    const folder = await openRemoteFolder(env(), remote);
    const { files: got } = await downloadFolder(env(), folder);
    expect(Buffer.from(await got.read('model.safetensors')).equals(Buffer.from(files['model.safetensors']))).toBe(true);
    const hubSeen = seen.filter((s) => s.server === 'hub');
    const cdnSeen = seen.filter((s) => s.server === 'cdn');
    expect(hubSeen.length).toBeGreaterThan(0);
    expect(cdnSeen.length).toBeGreaterThan(0);
    for (const s of hubSeen) expect(s.auth).toBe(`Bearer ${TOKEN}`);
    for (const s of cdnSeen) expect(s.auth, `${s.path} on the CDN`).toBeUndefined();
    // Never in a URL either.
    for (const s of seen) expect(s.path).not.toContain(TOKEN);
  });

  it('a public model is fetched without any Authorization when no token is set', async () => {
    seen.length = 0;
    await openRemoteFolder(env(), hubRemote(hubUrl, 'public/model'));
    expect(seen.every((s) => s.auth === undefined)).toBe(true);
  });

  it('a malformed token is refused before any request', () => {
    for (const bad of ['', 'short', 'hf_has space inside', 'hf_new\nline-injection', 'é'.repeat(20)])
      expect(() => checkHubToken(bad)).toThrow(/cannot be right/);
    expect(checkHubToken(`  ${TOKEN}\n`)).toBe(TOKEN);
  });
});
