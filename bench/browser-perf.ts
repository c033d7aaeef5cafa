/**
 * Browser performance of the workbench: `npm run bench:browser [-- options]` (after `npm run build`),
 * writes bench/results/browser.json.
 *
 * Serves the built app (dist/) with `vite preview`, opens it in Debian's Chromium (the Playwright
 * browser of the e2e tests) on the bundled model and the default experiment (Moby-Dick held out, 8
 * windows of 256 tokens), once on wasm (`?backend=wasm`) and once on WebGPU (the software SwiftShader
 * adapter without a GPU), and measures inside the page (performance.now(), a MutationObserver on the
 * task line and the perplexity, a PerformanceObserver for 'longtask'):
 *
 *   load          navigation to "model loaded" (download of the bundled files, weights, sessions);
 *   analysis      the full analysis of the model (the workbench's first engine call: importance,
 *                 similarities, angular distances and the perplexity), from its start to its result;
 *   drop-one      the drop-one pass that follows it (what makes later toggles instant);
 *   click→ppl     from a click on a heatmap cell to the new perplexity in the page (and to the next
 *                 frame): "instant" when the drop-one results already hold the answer, "evaluate" when
 *                 the engine has to run the sublayers after the change (a second click right after the
 *                 first, before any drop-one result for the new configuration exists);
 *   long tasks    main-thread tasks over 50 ms (the browser's 'longtask' entries, wall time): the longest
 *                 during the analysis and over the whole run; and, from a Chrome trace of navigation to the
 *                 end of the analysis, each long task's main-thread CPU time (bench/main-thread-trace.ts),
 *                 which tells the page's own work from time the OS gave to other threads (--no-trace: off).
 *
 * Options: --backends wasm,webgpu  --seq-len 256  --windows 8  --reps 5 (wasm; WebGPU does 2)
 *          --port 4180  --out bench/results/browser.json  --timeout-min 30  --dist dist
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { startMainThreadTrace, tasksBetween, type TracedTask, type TraceResult } from './main-thread-trace';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const BACKENDS = arg('backends', 'wasm,webgpu').split(',') as ('wasm' | 'webgpu')[];
const SEQ_LEN = Number(arg('seq-len', '256'));
const WINDOWS = Number(arg('windows', '8'));
const REPS = Number(arg('reps', '5'));
const PORT = Number(arg('port', '4180'));
const OUT = arg('out', join(ROOT, 'bench', 'results', 'browser.json'));
const TIMEOUT = Number(arg('timeout-min', '30')) * 60_000;
/** The build to serve (default dist/, what `npm run build` writes). */
const DIST = arg('dist', 'dist');
/** Trace the main thread from navigation to the end of the analysis (CPU time of its long tasks). */
const TRACE = !process.argv.includes('--no-trace');

const ARGS = [
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * Installed before the app runs: records task changes, perplexity changes, clicks and long tasks. Plain
 * JavaScript in a string: a function would be rewritten by the TypeScript loader (helpers such as
 * esbuild's __name do not exist in the page).
 */
const RECORDER = `(() => {
  const rec = { tasks: [], ppl: [], clicks: [], longtasks: [], ready: null };
  window.__perf = rec;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const attribution = (e.attribution || []).map((a) => (a.name || '') + ':' + (a.containerType || '') + ':' + (a.containerName || ''));
        rec.longtasks.push({ start: e.startTime, duration: e.duration, attribution });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    // no longtask support: reported as empty
  }
  let lastTask;
  let lastPpl;
  const check = () => {
    const t = performance.now();
    const ts = document.querySelector('[data-testid="task-status"]');
    const task = ts ? ts.getAttribute('data-task') : null;
    if (task !== lastTask) {
      lastTask = task;
      rec.tasks.push({ t, task });
      try { performance.mark('droplab:' + task); } catch (e) { /* marks are for the trace only */ }
    }
    const pe = document.querySelector('[data-testid="ppl-current"]');
    const ppl = pe ? pe.getAttribute('data-value') : null;
    if (ppl !== lastPpl) {
      lastPpl = ppl;
      const entry = { t, v: ppl };
      rec.ppl.push(entry);
      requestAnimationFrame(() => { entry.frame = performance.now(); });
    }
    if (rec.ready === null && document.querySelector('[data-testid="model-ready"]')) rec.ready = t;
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-task', 'data-value', 'data-testid'] });
  document.addEventListener('click', (e) => {
    const el = e.target && e.target.closest ? e.target.closest('[data-kind]') : null;
    rec.clicks.push({ t: performance.now(), target: el ? el.getAttribute('data-kind') + el.getAttribute('data-layer') : '' });
  }, true);
})();`;

interface Perf {
  tasks: { t: number; task: string | null }[];
  ppl: { t: number; v: string | null; frame?: number }[];
  clicks: { t: number; target: string }[];
  longtasks: { start: number; duration: number; attribution: string[] }[];
  ready: number | null;
}

const perf = (page: Page) => page.evaluate(() => (window as unknown as { __perf: Perf }).__perf);

/** Start and end of each run of a task name (data-task) in the record. */
function spans(p: Perf, name: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < p.tasks.length; i++) {
    if (p.tasks[i].task !== name) continue;
    const end = p.tasks.slice(i + 1).find((x) => x.task !== name);
    if (end) out.push({ start: p.tasks[i].t, end: end.t });
  }
  return out;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

/**
 * Polls `test(record)` from Node until it holds. (The timings themselves are taken inside the page, so
 * the polling interval does not enter them.)
 */
async function until(
  page: Page,
  test: (p: Perf, now: number) => boolean,
  what: string,
  timeout = TIMEOUT,
): Promise<Perf> {
  const end = Date.now() + timeout;
  let said = Date.now();
  for (;;) {
    const { p, now } = await page.evaluate(() => ({
      p: (window as unknown as { __perf: Perf }).__perf,
      now: performance.now(),
    }));
    if (test(p, now)) return p;
    if (Date.now() - said > 60_000) {
      said = Date.now();
      console.log(`  … waiting for ${what}; task line: ${JSON.stringify(p.tasks.slice(-2).map((x) => x.task))}`);
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last tasks ${JSON.stringify(p.tasks.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the workbench has had nothing to do for `quietMs` (the pipeline has short gaps between steps). */
async function waitIdle(page: Page, quietMs = 1500): Promise<Perf> {
  return until(
    page,
    (p, now) => {
      const last = p.tasks[p.tasks.length - 1];
      return !!last && last.task === 'idle' && now - last.t > quietMs;
    },
    'the workbench to be idle',
  );
}

/** Clicks a heatmap cell and waits for the perplexity to change; returns click→DOM and click→frame in ms. */
async function clickForPerplexity(
  page: Page,
  kind: 'attn' | 'mlp',
  layer: number,
): Promise<{ dom: number; frame: number; ppl: number }> {
  const p0 = await perf(page);
  const before = p0.ppl.length;
  const clicksBefore = p0.clicks.length;
  await page.locator(`[data-testid="sublayer-heatmap"] [data-kind="${kind}"][data-layer="${layer}"]`).click();
  let p: Perf;
  try {
    p = await until(
      page,
      (q) => q.ppl.slice(before).some((x) => !!x.v && x.frame !== undefined),
      `the perplexity after ${kind} ${layer}`,
      120_000,
    );
  } catch (e) {
    const q = await perf(page);
    const drops = await page.getByTestId('drops-line').textContent();
    const errors = await page.locator('.inline-error').allTextContents();
    throw new Error(
      `${(e as Error).message}\nperplexity changes ${JSON.stringify(q.ppl.slice(-4))}\nclicks ${JSON.stringify(q.clicks.slice(-3))}\ntasks ${JSON.stringify(q.tasks.slice(-6))}\n${drops} ${errors.join(' ')}`,
    );
  }
  const click = p.clicks[clicksBefore];
  const hit = p.ppl.slice(before).find((x) => x.v && x.frame !== undefined);
  if (!click || !hit || hit.frame === undefined) throw new Error('no click or perplexity recorded');
  return { dom: hit.t - click.t, frame: hit.frame - click.t, ppl: Number(hit.v) };
}

async function restoreAll(page: Page) {
  const restore = page.getByTestId('restore-all');
  if (await restore.isEnabled()) await restore.click();
  await page
    .locator('[data-testid="sublayer-heatmap"] [aria-pressed="true"]')
    .first()
    .waitFor({ state: 'detached', timeout: TIMEOUT });
}

async function runBackend(backend: 'wasm' | 'webgpu', base: string) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
  const started = Date.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript({ content: RECORDER });
    const trace = TRACE ? await startMainThreadTrace(browser, 'droplab:') : null;
    const hash = `#v1&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=${SEQ_LEN}&n=${WINDOWS}&x=cos`;
    await page.goto(`${base}/?backend=${backend}${hash}`);
    const badge = page.getByTestId('backend');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="backend"]')?.getAttribute('data-backend') !== 'probing',
      undefined,
      { timeout: 120_000 },
    );
    const got = await badge.getAttribute('data-backend');
    const badgeText = (await badge.textContent())?.trim() ?? '';
    if (got !== backend) throw new Error(`asked for ${backend}, the page runs ${got}: ${badgeText}`);
    const adapter = backend === 'webgpu' ? JSON.parse((await badge.getAttribute('data-adapter')) ?? 'null') : null;
    console.log(`[${backend}] ${badgeText}`);

    // The full analysis (the 'baseline' step), then drop-one.
    await until(
      page,
      (q) => {
        const i = q.tasks.findIndex((x) => x.task === 'baseline');
        return i >= 0 && q.tasks.slice(i + 1).some((x) => x.task !== 'baseline');
      },
      'the full analysis',
    );
    const traced = trace ? await trace.stop() : null;
    let p = await perf(page);
    const analysis = spans(p, 'baseline')[0];
    console.log(`[${backend}] analysis ${(analysis.end - analysis.start).toFixed(0)} ms; waiting for drop-one…`);
    await waitIdle(page);
    p = await perf(page);
    const dropOne = spans(p, 'dropOne')[0] ?? null;
    const firstPerplexity = p.ppl.find((x) => x.v)?.t ?? null;
    console.log(`[${backend}] drop-one ${dropOne ? (dropOne.end - dropOne.start).toFixed(0) : '?'} ms`);

    // Click → perplexity, instant (drop-one of "nothing dropped" known): drop, then restore (cached).
    const cells: ['attn' | 'mlp', number][] = [
      ['attn', 6],
      ['mlp', 9],
      ['attn', 3],
      ['mlp', 7],
      ['attn', 10],
      ['mlp', 4],
      ['attn', 8],
    ];
    const reps = backend === 'webgpu' ? Math.min(REPS, 2) : REPS;
    const instant: { dom: number; frame: number }[] = [];
    for (let i = 0; i < reps; i++) {
      const [k, l] = cells[i % cells.length];
      const m = await clickForPerplexity(page, k, l);
      instant.push({ dom: m.dom, frame: m.frame });
      await restoreAll(page);
      await waitIdle(page);
    }
    console.log(`[${backend}] instant click→ppl ${instant.map((x) => x.frame.toFixed(1)).join(', ')} ms`);

    // Click → perplexity through an engine evaluation: a second drop right after the first.
    const evaluated: { dom: number; frame: number }[] = [];
    for (let i = 0; i < reps; i++) {
      const [k1, l1] = cells[(2 * i) % cells.length];
      const [k2, l2] = cells[(2 * i + 1) % cells.length];
      await clickForPerplexity(page, k1, l1);
      const m = await clickForPerplexity(page, k2, l2);
      evaluated.push({ dom: m.dom, frame: m.frame });
      await restoreAll(page);
      await waitIdle(page);
    }
    console.log(`[${backend}] evaluate click→ppl ${evaluated.map((x) => x.frame.toFixed(0)).join(', ')} ms`);

    p = await perf(page);
    const during = p.longtasks.filter((t) => t.start + t.duration > analysis.start && t.start < analysis.end);
    const longest = (xs: Perf['longtasks']) =>
      xs.reduce<Perf['longtasks'][number] | null>((a, b) => (!a || b.duration > a.duration ? b : a), null);
    const lAll = longest(p.longtasks);
    const lDuring = longest(during);
    const analyses = spans(p, 'analyze').map((s) => s.end - s.start);
    return {
      backend,
      badge: badgeText,
      adapter,
      settings: { seqLen: SEQ_LEN, windows: WINDOWS, predictedTokens: WINDOWS * (SEQ_LEN - 1) },
      loadMs: r1(p.ready),
      analysisMs: r1(analysis.end - analysis.start),
      navigationToHeatmapMs: r1(analysis.end),
      navigationToFirstPerplexityMs: r1(firstPerplexity),
      dropOneMs: dropOne ? r1(dropOne.end - dropOne.start) : null,
      analysisOfDroppedConfigMs: { median: r1(median(analyses)), n: analyses.length },
      clickToPerplexity: {
        instant: {
          medianMs: r1(median(instant.map((x) => x.frame))),
          medianDomMs: r1(median(instant.map((x) => x.dom))),
          samplesMs: instant.map((x) => r1(x.frame)),
        },
        evaluate: {
          medianMs: r1(median(evaluated.map((x) => x.frame))),
          medianDomMs: r1(median(evaluated.map((x) => x.dom))),
          samplesMs: evaluated.map((x) => r1(x.frame)),
        },
      },
      longTasks: {
        duringAnalysis: {
          count: during.length,
          longestMs: r1(lDuring?.duration),
          over200ms: during.filter((t) => t.duration > 200).length,
        },
        wholeRun: {
          count: p.longtasks.length,
          longestMs: r1(lAll?.duration),
          longestAtMs: r1(lAll?.start),
          over200ms: p.longtasks
            .filter((t) => t.duration > 200)
            .map((t) => ({ startMs: r1(t.start), durationMs: r1(t.duration), attribution: t.attribution })),
        },
      },
      mainThreadTrace: traced && traceSummary(traced),
      pageErrors: errors,
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await browser.close();
  }
}

/**
 * Long tasks of the traced part of the run (navigation to the end of the analysis): wall and main-thread
 * CPU time, during the analysis and before it.
 */
function traceSummary(t: TraceResult) {
  const i = t.marks.findIndex((m) => m.name === 'droplab:baseline');
  const start = i >= 0 ? t.marks[i].ts : null;
  const end = i >= 0 ? (t.marks.slice(i + 1).find((m) => m.name !== 'droplab:baseline')?.ts ?? null) : null;
  const sum = (xs: TracedTask[]) => {
    const byWall = xs.reduce<TracedTask | null>((a, b) => (!a || b.wallMs > a.wallMs ? b : a), null);
    const byCpu = xs.reduce<TracedTask | null>((a, b) => (!a || b.cpuMs > a.cpuMs ? b : a), null);
    return {
      tasksOver50msWall: xs.length,
      longestWallMs: r1(byWall?.wallMs ?? 0),
      itsCpuMs: r1(byWall?.cpuMs ?? 0),
      longestCpuMs: r1(byCpu?.cpuMs ?? 0),
      over200msWall: xs.filter((x) => x.wallMs > 200).length,
      over200msCpu: xs.filter((x) => x.cpuMs > 200).length,
    };
  };
  if (start === null || end === null)
    return { error: 'the analysis marks are missing from the trace', marks: t.marks.length };
  return {
    duringAnalysis: sum(tasksBetween(t, start, end)),
    beforeAnalysis: sum(t.tasks.filter((x) => x.ts < start)),
  };
}

async function main() {
  if (!existsSync(join(ROOT, DIST, 'index.html'))) {
    console.error(`bench:browser: no build in ${DIST}/: run \`npm run build\` first.`);
    process.exit(2);
  }
  if (!existsSync(join(ROOT, 'public', 'models', 'droplab-byte-12l', 'model.safetensors'))) {
    console.error('bench:browser: the bundled model (public/models/droplab-byte-12l) is missing.');
    process.exit(2);
  }
  const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort', '--outDir', DIST], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const base = `http://localhost:${PORT}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(base)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 120) throw new Error('vite preview did not start');
      await new Promise((r) => setTimeout(r, 500));
    }
    const results = [];
    for (const b of BACKENDS) results.push(await runBackend(b, base));
    let chromiumVersion = '';
    try {
      chromiumVersion = execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      // unknown
    }
    const out = {
      generated: new Date().toISOString(),
      command: `npm run bench:browser -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? '',
        loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
        node: process.version,
        chromium: chromiumVersion,
      },
      build: { dist: DIST, modified: statSync(join(ROOT, DIST, 'index.html')).mtime.toISOString() },
      method:
        'In-page timings (performance.now): a MutationObserver on the task line and the current perplexity, a capturing click listener, requestAnimationFrame after the perplexity changes, PerformanceObserver longtask entries. Default experiment: bundled model, Moby-Dick held out.',
      results,
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${OUT}`);
    for (const r of results) {
      console.log(
        `${r.backend}: load ${r.loadMs} ms · analysis ${r.analysisMs} ms · drop-one ${r.dropOneMs} ms · click→ppl instant ${r.clickToPerplexity.instant.medianMs} ms, evaluate ${r.clickToPerplexity.evaluate.medianMs} ms · longest task during analysis ${r.longTasks.duringAnalysis.longestMs ?? 0} ms (whole run ${r.longTasks.wholeRun.longestMs ?? 0} ms)`,
      );
    }
  } finally {
    try {
      if (server.pid) process.kill(-server.pid);
    } catch {
      // already gone
    }
  }
}

await main();
