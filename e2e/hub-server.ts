/**
 * A local stand-in for the Hugging Face Hub in the browser tests: serves model folders in the Hub's
 * URL layout, `/<owner>/<name>/resolve/<revision>/<file>`, with CORS (the page is cross-origin
 * isolated, so cross-origin fetches must be CORS), Content-Length, HEAD, and a log of requests.
 *
 *   tiny/model       the bundled model's folder (public/models/droplab-byte-12l) when it exists,
 *                    else a deterministic tiny llama from tests/fixtures/tiny-models.ts
 *   private/model    answers 401, as the Hub does for private, gated and missing repositories
 *   unsupported/bert a config.json of an architecture DropLab does not support
 *
 * Weight files are sent in small chunks with a short pause, so the page's progress bar has steps.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tinyModel } from '../tests/fixtures/tiny-models';

export const BUNDLED_DIR = join(import.meta.dirname, '..', 'public', 'models', 'droplab-byte-12l');

export interface HubServer {
  url: string;
  /** "GET /tiny/model/resolve/main/config.json", … */
  log: string[];
  /** Where tiny/model's files came from. */
  modelFrom: 'bundled' | 'fixture';
  close(): Promise<void>;
}

function readFolder(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const f of readdirSync(dir)) if (/\.(json|safetensors)$/.test(f)) out[f] = readFileSync(join(dir, f));
  return out;
}

export function bundledModelExists(): boolean {
  return existsSync(join(BUNDLED_DIR, 'config.json')) && existsSync(join(BUNDLED_DIR, 'model.safetensors'));
}

export async function startHubServer(opts: { chunkDelayMs?: number } = {}): Promise<HubServer> {
  const fromBundled = bundledModelExists();
  const repos: Record<string, Record<string, Uint8Array>> = {
    'tiny/model': fromBundled ? readFolder(BUNDLED_DIR) : tinyModel('llama-gqa').fileMap,
    'unsupported/bert': {
      'config.json': new TextEncoder().encode(
        JSON.stringify({
          model_type: 'bert',
          architectures: ['BertForMaskedLM'],
          hidden_size: 64,
          num_hidden_layers: 2,
        }),
      ),
    },
  };
  const denied = new Set(['private/model']);
  const log: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(`${method} ${path}`);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
      res.setHeader('Access-Control-Allow-Headers', '*');
      res.writeHead(204).end();
      return;
    }
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) {
      res.writeHead(404).end('Not found');
      return;
    }
    const [, id, , file] = m;
    if (denied.has(id)) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Invalid username or password.');
      return;
    }
    const body = repos[id]?.[file];
    if (!body) {
      res
        .writeHead(404, { 'Content-Type': 'text/plain', 'X-Error-Code': repos[id] ? 'EntryNotFound' : 'RepoNotFound' })
        .end('Entry not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    const chunk = Math.max(16_384, Math.ceil(body.length / 20));
    for (let i = 0; i < body.length; i += chunk) {
      res.write(body.subarray(i, i + chunk));
      if (file.endsWith('.safetensors') && opts.chunkDelayMs)
        await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    modelFrom: fromBundled ? 'bundled' : 'fixture',
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// `npx tsx e2e/hub-server.ts`: serve until killed (for trying the Hub path by hand).
if (process.argv[1]?.endsWith('hub-server.ts')) {
  const s = await startHubServer({ chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 0) });
  console.log(`Hub stand-in at ${s.url} (tiny/model from the ${s.modelFrom})`);
}
