/**
 * Chromium wasm memory at scale (issue 13 item 7): `npm run bench:browser-scale [-- options]`, writes
 * bench/results/browser-scale.json.
 *
 * For each row (shape x precision) it writes a random llama-architecture folder shaped like a real
 * checkpoint (bf16, tests/fixtures/random-llama-node.ts; kept in --models between runs), serves a vite
 * build (built into --dist when missing), opens a fresh headless Chromium (/usr/bin/chromium) on the wasm
 * backend with a link that waits for a folder, picks the precision in the Model panel, and loads the
 * folder either as a local folder (the folder input, `--source local`) or from a Hub-like server on
 * localhost (`--source hub`: the Hub's URL layout, files streamed from disk: after the pick, the hash
 * becomes a link to the Hub model, and the download the page then asks about is accepted). Both links
 * carry the same text and windows. Earlier Hub rows loaded from the Hub tab instead, which keeps the
 * page's own windows (a local-folder link's wait for that folder): the default 8 x 256, four times the
 * tokens, so they peaked about 600 MiB higher and analyzed 3-4x slower than the folder rows. The windows
 * in use are recorded in each row. It waits for the full analysis (the heatmap) and records:
 *
 *   memory   VmRSS (/proc/<pid>/status) of every Chromium process, sampled every 200 ms from the pick to
 *            the heatmap: the peak of the sum and of the largest process (the renderer, which runs the
 *            engine's worker), both minus the idle page's (the page waiting for its folder, runtime
 *            started); and each process' VmHWM (the kernel's high-water mark) at the end;
 *   times    load (the pick to "model loaded") and analysis (the 'baseline' task: importance,
 *            similarities and perplexity of the whole model);
 *   outcome  whether the heatmap came, else the page's error text; the precision in use; and the
 *            admission's predicted peak (src/engine/model/admission.ts) for the same data.
 *
 * Each row gets a fresh Chromium with a fresh on-disk profile (`--profile disk`, the default: a person's
 * browser). Playwright's default context is off the record (`--profile memory`): Chromium keeps that
 * context's Origin Private File System and Cache Storage in memory, in the browser process, so a Hub
 * row's downloaded weight file (and every range read back from it) counts there as RAM that a normal
 * profile keeps on disk; the profile is recorded in each row.
 *
 * Options: --rows SmolLM2-135M:fp32,Qwen2.5-0.5B:q4:hub,...  (shape:precision[:local|hub])  --seq-len 128
 *          --windows 4  --source local|hub (rows without one)  --port 4392  --dist dist-bench-scale  --models <tmp>/droplab-browser-scale  --out <json>
 *          --timeout-min 20  --rebuild  --profile disk|memory
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import type { WeightPrecision } from '../src/engine/api';
import { estimatePrecision } from '../src/engine/model/admission';
import { specFromConfig } from '../src/engine/model/families';
import { SHAPES, writeRandomLlama } from '../tests/fixtures/random-llama-node';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    rows: {
      type: 'string',
      default: 'SmolLM2-135M:fp32,SmolLM2-135M:q8,SmolLM2-135M:q4,Qwen2.5-0.5B:fp16,Qwen2.5-0.5B:q8,Qwen2.5-0.5B:q4',
    },
    'seq-len': { type: 'string', default: '128' },
    windows: { type: 'string', default: '4' },
    source: { type: 'string', default: 'local' },
    port: { type: 'string', default: '4392' },
    dist: { type: 'string', default: 'dist-bench-scale' },
    models: { type: 'string', default: join(tmpdir(), 'droplab-browser-scale') },
    out: { type: 'string', default: join(ROOT, 'bench/results/browser-scale.json') },
    'timeout-min': { type: 'string', default: '20' },
    rebuild: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'disk' },
  },
});
const SEQ_LEN = Number(values['seq-len']);
const WINDOWS = Number(values.windows);
type Source = 'local' | 'hub';
const TIMEOUT = Number(values['timeout-min']) * 60_000;
if (values.profile !== 'disk' && values.profile !== 'memory') throw new Error('--profile is disk or memory');
const PROFILE = values.profile as 'disk' | 'memory';
const MiB = 2 ** 20;
const ARGS = ['--enable-unsafe-webgpu', '--disable-quic', '--no-sandbox', '--disable-background-networking'];

// ---- /proc sampling of the Chromium processes (every descendant of this Node process) ----

interface Proc {
  pid: number;
  type: string;
  rss: number;
  hwm: number;
}

function children(): Proc[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const mine = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  const out: Proc[] = [];
  for (const pid of parent.keys()) {
    if (!mine(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
      out.push({ pid, type, rss: kb('VmRSS'), hwm: kb('VmHWM') });
    } catch {
      // gone
    }
  }
  return out;
}

function sampler() {
  let peakSum = 0;
  let peakLargest = { rss: 0, type: '' };
  let last: Proc[] = [];
  const tick = () => {
    last = children();
    const sum = last.reduce((s, p) => s + p.rss, 0);
    peakSum = Math.max(peakSum, sum);
    for (const p of last) if (p.rss > peakLargest.rss) peakLargest = { rss: p.rss, type: p.type };
  };
  tick();
  const timer = setInterval(tick, 200);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { peakSum, peakLargest, last };
    },
  };
}

// ---- model folders and the Hub-like server ----

function folderFor(shape: string): string {
  const dir = join(values.models, shape);
  const done = join(dir, '.complete');
  if (!existsSync(done)) {
    const t0 = performance.now();
    const bytes = writeRandomLlama(dir, SHAPES[shape]);
    writeFileSync(done, String(bytes));
    console.log(
      `${shape}: ${(bytes / 1e9).toFixed(2)} GB bf16 written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  return dir;
}

/** The Hub's layout, `/<owner>/<name>/resolve/main/<file>`, for bench/<shape>, streamed from disk. */
async function hubServer(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    const m = /^\/bench\/([^/]+)\/resolve\/main\/([\w.-]+)$/.exec(decodeURIComponent(req.url ?? ''));
    const path = m && SHAPES[m[1]] ? join(values.models, m[1], m[2]) : null;
    if (!path || !existsSync(path)) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(statSync(path).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

// ---- one row ----

/** Task-line changes, recorded in the page (plain JavaScript: the TypeScript loader would rewrite a function). */
const RECORDER = `(() => {
  const rec = { tasks: [] };
  window.__scale = rec;
  let last;
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="task-status"]');
    const task = el ? el.getAttribute('data-task') : null;
    if (task !== last) { last = task; rec.tasks.push({ t: performance.now(), task }); }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-task'] });
})();`;

const tasks = (page: Page) =>
  page.evaluate(() => (window as unknown as { __scale: { tasks: { t: number; task: string }[] } }).__scale.tasks);

async function errorText(page: Page): Promise<string | null> {
  const texts = await page.locator('[data-testid="model-error"], .inline-error').allTextContents();
  return texts.length ? texts.join(' | ').trim() : null;
}

async function runRow(shape: string, precision: WeightPrecision, source: Source, base: string, hubUrl: string) {
  const dir = folderFor(shape);
  const fileBytes = statSync(join(dir, 'model.safetensors')).size;
  const spec = specFromConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const data = { windows: WINDOWS, seqLen: SEQ_LEN, batch: Math.min(8, WINDOWS) };
  const est = estimatePrecision(spec, precision, data, { wasm: true });
  const launch = { executablePath: '/usr/bin/chromium', args: ARGS, headless: true };
  const viewport = { width: 1280, height: 800 };
  // An on-disk profile (storage on disk, as in a person's browser), or Playwright's off-the-record context.
  const profileDir = PROFILE === 'disk' ? mkdtempSync(join(tmpdir(), 'droplab-scale-profile-')) : null;
  const context = profileDir
    ? await chromium.launchPersistentContext(profileDir, { ...launch, viewport })
    : await (await chromium.launch(launch)).newContext({ viewport });
  let closed = false;
  context.on('close', () => {
    closed = true;
  });
  const row: Record<string, unknown> = {
    shape,
    precision,
    source,
    profile: PROFILE,
    fileBytes,
    /** The admission's predicted peak on wasm for this data (model/admission.ts), beside the renderer's measured peak. */
    predictedPeakMiB: Math.round(est.peakBytes / MiB),
    predictedWeightsMiB: Math.round(est.weightBytes / MiB),
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 300));
    });
    await page.addInitScript({ content: RECORDER });
    const text = `t=b:moby-dick-heldout&L=${SEQ_LEN}&n=${WINDOWS}&x=cos`;
    // A link to a local folder: the page waits for it, idle (for a Hub row, until the hash names the Hub model).
    const hub = source === 'hub' ? `&hub=${encodeURIComponent(hubUrl)}` : '';
    await page.goto(`${base}/?backend=wasm${hub}#v1&m=l:${encodeURIComponent(shape)}&${text}`);
    await page.waitForFunction(
      () => {
        const b = document.querySelector('[data-testid="backend"]')?.getAttribute('data-backend');
        return b && b !== 'probing';
      },
      undefined,
      { timeout: 120_000 },
    );
    row.backend = await page.getByTestId('backend').getAttribute('data-backend');
    row.deviceMemory = await page.evaluate(() => (navigator as Navigator & { deviceMemory?: number }).deviceMemory);
    await page.getByTestId('notice').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="precision-picker"] select').selectOption(precision);
    if (source === 'hub') {
      // The same link naming the Hub model (the precision stays chosen): the page reads its config and asks.
      await page.evaluate(
        (h) => {
          location.hash = h;
        },
        `#v1&m=h:bench/${encodeURIComponent(shape)}&${text}`,
      );
      await page.getByTestId('notice-download').waitFor({ timeout: 60_000 });
    }
    await page.waitForTimeout(2000);
    const idle = children();
    const idleSum = idle.reduce((s, p) => s + p.rss, 0);
    const idleRenderer = Math.max(...idle.filter((p) => p.type === 'renderer').map((p) => p.rss));

    const s = sampler();
    const t0 = await page.evaluate(() => performance.now());
    if (source === 'hub') await page.getByTestId('notice-download').click();
    else {
      await page.getByRole('tab', { name: 'Local folder' }).click();
      await page.getByTestId('folder-input').setInputFiles(dir);
    }
    const end = Date.now() + TIMEOUT;
    let outcome: 'heatmap' | 'error' | 'timeout' = 'timeout';
    let loadedAt: number | null = null;
    /** The load's stages as the page shows them, with the renderer's RSS when each began. */
    const stages: { stage: string; atMs: number; rendererMiB: number }[] = [];
    while (Date.now() < end) {
      const state = await page.evaluate(() => ({
        now: performance.now(),
        ready: !!document.querySelector('[data-testid="model-ready"]'),
        cells: document.querySelectorAll('[data-testid="sublayer-heatmap"] [data-kind="attn"]').length,
        stage: document.querySelector('.progress-line span')?.textContent ?? null,
      }));
      if (state.stage && state.stage !== stages.at(-1)?.stage) {
        const renderer = Math.max(
          0,
          ...children()
            .filter((p) => p.type === 'renderer')
            .map((p) => p.rss),
        );
        stages.push({ stage: state.stage, atMs: Math.round(state.now - t0), rendererMiB: Math.round(renderer / MiB) });
      }
      if (state.ready && loadedAt === null) loadedAt = state.now;
      const ts = await tasks(page);
      const b = ts.findIndex((x) => x.task === 'baseline');
      if (b >= 0 && ts.slice(b + 1).some((x) => x.task !== 'baseline') && state.cells > 0) {
        outcome = 'heatmap';
        break;
      }
      if ((await errorText(page)) || pageErrors.length || closed) {
        outcome = 'error';
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const mem = s.stop();
    const ts = await tasks(page).catch(() => []);
    const b = ts.findIndex((x) => x.task === 'baseline');
    const bEnd = b >= 0 ? ts.slice(b + 1).find((x) => x.task !== 'baseline') : undefined;
    // The window settings as applied (with a model loaded, Apply is enabled only while the fields differ).
    const windowsInUse = await page
      .getByTestId('window-settings')
      .evaluate((f) =>
        (f.querySelector('button[type="submit"]') as HTMLButtonElement).disabled
          ? {
              seqLen: Number((f.querySelector('input[name="seqLen"]') as HTMLInputElement).value),
              windows: Number((f.querySelector('input[name="windows"]') as HTMLInputElement).value),
            }
          : 'not applied',
      )
      .catch(() => null);
    const inUse = await page
      .getByTestId('precision-badge')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    Object.assign(row, {
      succeeded: outcome === 'heatmap',
      outcome,
      error: outcome === 'heatmap' ? null : ((await errorText(page).catch(() => null)) ?? pageErrors.join(' | ')),
      precisionBadge: inUse?.trim() ?? null,
      windowsInUse,
      stages,
      consoleErrors: consoleErrors.slice(0, 5),
      loadMs: loadedAt === null ? null : Math.round(loadedAt - t0),
      analysisMs: b >= 0 && bEnd ? Math.round(bEnd.t - ts[b].t) : null,
      idleMiB: { allProcesses: Math.round(idleSum / MiB), renderer: Math.round(idleRenderer / MiB) },
      peakMiB: {
        allProcesses: Math.round(mem.peakSum / MiB),
        largestProcess: Math.round(mem.peakLargest.rss / MiB),
        largestProcessType: mem.peakLargest.type,
      },
      peakOverIdleMiB: {
        allProcesses: Math.round((mem.peakSum - idleSum) / MiB),
        renderer: Math.round((mem.peakLargest.rss - idleRenderer) / MiB),
      },
      measuredOverPredicted: Math.round((mem.peakLargest.rss / est.peakBytes) * 100) / 100,
      highWaterMiB: Object.fromEntries(
        [...new Set(mem.last.map((p) => p.type))].map((t) => [
          t,
          Math.round(Math.max(...mem.last.filter((p) => p.type === t).map((p) => p.hwm)) / MiB),
        ]),
      ),
    });
  } catch (e) {
    Object.assign(row, { succeeded: false, outcome: 'exception', error: String(e).slice(0, 800) });
  } finally {
    const browser = context.browser();
    await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(row));
  return row;
}

async function main() {
  const dist = join(ROOT, values.dist);
  if (values.rebuild || !existsSync(join(dist, 'index.html')))
    execFileSync('npx', ['vite', 'build', '--outDir', values.dist], { cwd: ROOT, stdio: 'inherit' });
  const port = values.port;
  const server = spawn('npx', ['vite', 'preview', '--port', port, '--strictPort', '--outDir', values.dist], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const hub = await hubServer();
  const base = `http://localhost:${port}`;
  const rows: Record<string, unknown>[] = [];
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(base).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 120) throw new Error('vite preview did not start');
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const r of values.rows.split(',')) {
      const [shape, precision, source = values.source] = r.split(':');
      if (!SHAPES[shape]) throw new Error(`unknown shape ${shape}: one of ${Object.keys(SHAPES).join(', ')}`);
      rows.push(await runRow(shape, precision as WeightPrecision, source as Source, base, hub.url));
    }
  } finally {
    hub.close();
    try {
      if (server.pid) process.kill(-server.pid);
    } catch {
      // already gone
    }
  }
  let chromium = '';
  try {
    chromium = execFileSync('/usr/bin/chromium', ['--version']).toString().trim();
  } catch {
    // unknown
  }
  const out = {
    bench: 'browser-scale',
    date: new Date().toISOString(),
    command: `npm run bench:browser-scale -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryBytes: totalmem(),
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
      chromium,
    },
    settings: { backend: 'wasm', seqLen: SEQ_LEN, windows: WINDOWS, weightsOnDisk: 'bf16', profile: PROFILE },
    method:
      'VmRSS of every Chromium process (descendants of the bench), sampled every 200 ms from the folder pick (or the download click) to the end of the full analysis; idle = the page waiting for its folder with the runtime started. highWaterMiB: the largest VmHWM per process type at the end. Times in the page (performance.now).',
    rows,
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
}

await main();
