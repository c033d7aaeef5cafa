/**
 * Gated Hub models in the browser (issue 13 item 5), against two local servers: a Hub stand-in that
 * answers 401 without the right token (403 with a wrong one) and redirects the weights to a "CDN" on
 * another origin, as the Hub does for LFS files. Chromium must send the token to the Hub origin only:
 * the CDN never sees an Authorization header. The token never reaches the URL, the share link or the
 * saved experiments; a wrong token says what to do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { BUNDLED_DIR } from './hub-server';
import { link, watch } from './support';

const TOKEN = 'hf_E2eGatedToken9876';
const files: Record<string, Buffer> = {};
for (const f of readdirSync(BUNDLED_DIR))
  if (/\.(json|safetensors)$/.test(f)) files[f] = readFileSync(`${BUNDLED_DIR}/${f}`);

let hub: Server;
let cdn: Server;
let hubUrl = '';
let cdnUrl = '';
const seen: { server: 'hub' | 'cdn'; method: string; path: string; auth: string | null }[] = [];

function cors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, X-Linked-Size');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (req.method !== 'OPTIONS') return false;
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
  // Authorization is never covered by '*': it must be named, as the Hub does.
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Range, Content-Type');
  res.writeHead(204).end();
  return true;
}

const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

test.beforeAll(async () => {
  cdn = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ server: 'cdn', method: req.method ?? '', path, auth: req.headers.authorization ?? null });
    if (cors(req, res)) return;
    const body = files[path.replace(/^\/lfs\//, '')];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  hub = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    seen.push({ server: 'hub', method: req.method ?? '', path, auth: req.headers.authorization ?? null });
    if (cors(req, res)) return;
    const m = /^\/gated\/model\/resolve\/main\/(.+)$/.exec(path);
    if (!m) return void res.writeHead(404).end('Repository not found');
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${TOKEN}`)
      return void res.writeHead(auth ? 403 : 401, { 'Content-Type': 'text/plain' }).end('Access restricted.');
    const body = files[m[1]];
    if (!body) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
    if (m[1].endsWith('.safetensors'))
      return void res.writeHead(302, { Location: `${cdnUrl}/lfs/${m[1]}`, 'X-Linked-Size': String(body.length) }).end();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  cdnUrl = await listen(cdn);
  hubUrl = await listen(hub);
});

test.afterAll(async () => {
  await Promise.all([hub, cdn].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
});

test('a gated model: refused without a token, a wrong token says what to do, the right one loads; the token goes to the Hub origin only', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm&hub=${encodeURIComponent(hubUrl)}${link({ seqLen: 32, windows: 2 })}`);
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 120_000 });
  await page.getByRole('tab', { name: 'Hub' }).click();
  const id = page.getByRole('textbox', { name: 'Model id' });
  const token = page.getByLabel('Access token', { exact: true });
  const load = page.getByRole('button', { name: 'Load', exact: true });

  await id.fill('gated/model');
  await load.click();
  await expect(page.getByTestId('model-error')).toContainText('give an access token in the Hub tab (Access token)');

  await token.fill('hf_notTheRightOne42');
  await load.click();
  await expect(page.getByTestId('model-error')).toContainText('refused your access token (HTTP 403)');
  await expect(page.getByTestId('model-error')).toContainText('accept its licence');
  await expect(page.getByTestId('model-error')).not.toContainText('hf_notTheRightOne42');

  seen.length = 0;
  await token.fill(TOKEN);
  await load.click();
  await expect(page.getByTestId('model-summary')).toContainText('gated/model', { timeout: 120_000 });
  await expect(page.getByTestId('model-ready')).toBeVisible({ timeout: 120_000 });

  const hubGets = seen.filter((s) => s.server === 'hub' && s.method !== 'OPTIONS');
  const cdnAll = seen.filter((s) => s.server === 'cdn');
  expect(hubGets.length).toBeGreaterThan(0);
  for (const s of hubGets) expect(s.auth, `${s.method} ${s.path}`).toBe(`Bearer ${TOKEN}`);
  expect(cdnAll.some((s) => s.method === 'GET' && s.path.endsWith('model.safetensors'))).toBe(true);
  for (const s of cdnAll) expect(s.auth, `${s.method} ${s.path} on the CDN`).toBeNull();
  for (const s of seen) expect(s.path).not.toContain(TOKEN);

  // Nowhere on the page's persistent side: URL, share link, saved experiments, session storage (not ticked).
  await expect(page).toHaveURL(/m=h:gated\/model/);
  expect(page.url()).not.toContain(TOKEN);
  await page.getByPlaceholder('Name this experiment').fill('gated');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('saved-list')).toContainText('gated');
  const stored = await page.evaluate(async () => {
    const out: string[] = [JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })];
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name ?? '');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const name of db.objectStoreNames) {
        const all = await new Promise<unknown[]>((res) => {
          const r = db.transaction(name).objectStore(name).getAll();
          r.onsuccess = () => res(r.result);
        });
        out.push(JSON.stringify(all));
      }
      db.close();
    }
    return out.join('\n');
  });
  expect(stored).toContain('gated/model');
  expect(stored).not.toContain(TOKEN);
  expect(w.errors).toEqual([]);
});
