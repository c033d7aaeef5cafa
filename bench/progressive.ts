/**
 * Progressive evaluation (issue 13 item 6): after a toggle, how soon the first estimate arrives against
 * the whole evaluation, per window-batch schedule (src/engine/batches.ts), and how far the first estimate
 * is from the final mean NLL, paired (with the result before the toggle) and unpaired (the plain mean of
 * the windows done). Node, onnxruntime-node CPU. Writes bench/results/progressive.json.
 *
 * Each case: load, set 256-token windows of the held-out text, evaluate nothing dropped, then three
 * toggles that each add one early sublayer to the drops (attention 0, then MLP 0, then attention 1), so
 * each re-runs nearly the whole model; every toggle's estimate is paired with the result just before it.
 * Times are wall clock and process CPU time (all threads) from the call to the first report that carries
 * an estimate, and to the result.
 *
 * Accuracy (the bundled model only: a random model's NLL barely moves with a drop): every single-sublayer
 * drop from nothing dropped, and every single toggle from a middle configuration, evaluated on all windows;
 * the estimate each would show after its first n windows (n = 1, 2, 4), paired and unpaired, against its
 * final mean NLL: root-mean-square and largest error, and how often the final value lies within ± 2
 * standard errors.
 *
 *   tsx bench/progressive.ts [--models bundled,SmolLM2-135M --windows 8,16 --schedules uniform,first-one,doubling --threads 2]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { folderFiles } from '../src/cli/node-files';
import { nodeEngine, threads } from '../src/cli/ort-node';
import type { DropConfig, NllEstimate } from '../src/engine/api';
import type { BatchSchedule } from '../src/engine/batches';
import { splitDocuments } from '../src/engine/data';
import { SHAPES, writeRandomLlama } from '../tests/fixtures/random-llama-node';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'bundled,SmolLM2-135M' },
    windows: { type: 'string', default: '8,16' },
    schedules: { type: 'string', default: 'uniform,first-one,doubling' },
    threads: { type: 'string', default: '2' },
    toggles: { type: 'string', default: '3' },
    'seq-len': { type: 'string', default: '256' },
    out: { type: 'string', default: join(import.meta.dirname, 'results/progressive.json') },
  },
});
const seqLen = Number(values['seq-len']);
const nThreads = Number(values.threads);
const BUNDLED = join(import.meta.dirname, '../public/models/droplab-byte-12l');
const text = splitDocuments(readFileSync(join(import.meta.dirname, '../public/data/moby-dick-heldout.txt'), 'utf8'));
const TOGGLES: DropConfig[] = [
  { attn: [0], mlp: [] },
  { attn: [0], mlp: [0] },
  { attn: [0, 1], mlp: [0] },
].slice(0, Number(values.toggles));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

interface Toggle {
  drop: DropConfig;
  firstMs: number | null;
  totalMs: number;
  firstCpuMs: number | null;
  totalCpuMs: number;
  firstWindows: number | null;
  finalNll: number;
  paired: { meanNll: number; se: number; error: number } | null;
  unpaired: { meanNll: number; se: number; error: number } | null;
}

/** The plain mean NLL of the first n windows and its standard error over windows, from per-token NLL. */
function unpairedFrom(tokens: Float32Array, n: number): { meanNll: number; se: number } {
  const per = seqLen - 1;
  const means = Array.from({ length: n }, (_, w) => {
    let s = 0;
    for (let t = 0; t < per; t++) s += tokens[w * per + t];
    return s / per;
  });
  const m = means.reduce((a, b) => a + b, 0) / n;
  const se = n > 1 ? Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) / n) : Number.NaN;
  return { meanNll: m, se };
}

async function runCase(dir: string, schedule: BatchSchedule, windowCounts: number[]) {
  const e = nodeEngine({ batchSchedule: schedule, ...threads(nThreads) });
  await e.loadModel({ kind: 'local', name: dir }, folderFiles(dir));
  const out: Record<string, unknown>[] = [];
  for (const windows of windowCounts) {
    await e.setText(text, { seqLen, windows });
    const b0 = performance.now();
    await e.evaluate({ attn: [], mlp: [] });
    const baselineMs = performance.now() - b0;
    const toggles: Toggle[] = [];
    for (const drop of TOGGLES) {
      let first: { ms: number; cpu: number; est: NllEstimate } | null = null;
      const t0 = performance.now();
      const c0 = cpuMs();
      const r = await e.evaluateTokens(drop, (p) => {
        if (p.estimate && !first) first = { ms: performance.now() - t0, cpu: cpuMs() - c0, est: p.estimate };
      });
      const totalMs = performance.now() - t0;
      const totalCpuMs = cpuMs() - c0;
      const f = first as { ms: number; cpu: number; est: NllEstimate } | null;
      const un = f ? unpairedFrom(r.nll, f.est.windows) : null;
      toggles.push({
        drop,
        firstMs: f && Math.round(f.ms),
        totalMs: Math.round(totalMs),
        firstCpuMs: f && Math.round(f.cpu),
        totalCpuMs: Math.round(totalCpuMs),
        firstWindows: f?.est.windows ?? null,
        finalNll: round(r.meanNll, 6),
        paired: f?.est.pairedWith
          ? { meanNll: round(f.est.meanNll, 6), se: round(f.est.se, 6), error: round(f.est.meanNll - r.meanNll, 6) }
          : null,
        unpaired: un && { meanNll: round(un.meanNll, 6), se: round(un.se, 6), error: round(un.meanNll - r.meanNll, 6) },
      });
    }
    const ratio = (k: 'Ms' | 'CpuMs') =>
      toggles.every((t) => t[`first${k}`] !== null)
        ? round(median(toggles.map((t) => (t[`first${k}`] as number) / t[`total${k}`])), 3)
        : null;
    const row = {
      windows,
      baselineMs: Math.round(baselineMs),
      medianTotalMs: median(toggles.map((t) => t.totalMs)),
      medianTotalCpuMs: median(toggles.map((t) => t.totalCpuMs)),
      firstOverTotalWall: ratio('Ms'),
      firstOverTotalCpu: ratio('CpuMs'),
      toggles,
    };
    console.error(
      `${schedule} ${windows}w: total ${row.medianTotalMs} ms wall / ${row.medianTotalCpuMs} ms cpu, first/total ${row.firstOverTotalWall} wall, ${row.firstOverTotalCpu} cpu`,
    );
    out.push(row);
  }
  await e.dispose();
  return out;
}

/** Per-window mean NLL of `drop` on the windows set in `e`. */
async function perWindow(e: ReturnType<typeof nodeEngine>, drop: DropConfig, windows: number): Promise<number[]> {
  const r = await e.evaluateTokens(drop);
  return Array.from({ length: windows }, (_, w) => unpairedFrom(r.nll.subarray(w * (seqLen - 1)), 1).meanNll);
}

function stats(errors: { error: number; se: number }[]) {
  const rms = Math.sqrt(errors.reduce((a, x) => a + x.error ** 2, 0) / errors.length);
  const abs = errors.map((x) => Math.abs(x.error));
  const withSe = errors.filter((x) => Number.isFinite(x.se));
  return {
    rmsError: round(rms, 5),
    medianAbsError: round(median(abs), 5),
    maxAbsError: round(Math.max(...abs), 5),
    within2se: withSe.length
      ? round(withSe.filter((x) => Math.abs(x.error) <= 2 * x.se).length / withSe.length, 3)
      : null,
  };
}

/** Paired and unpaired first estimates against the final values, over many single toggles (bundled model). */
async function accuracy(windows: number) {
  const e = nodeEngine({ batchSchedule: 'uniform', ...threads(nThreads) });
  await e.loadModel({ kind: 'local', name: 'bundled' }, folderFiles(BUNDLED));
  await e.setText(text, { seqLen, windows });
  const L = e.model?.spec.numLayers ?? 0;
  const pairs: { from: DropConfig; to: DropConfig }[] = [];
  const mid: DropConfig = { attn: [L - 3], mlp: [L - 4] };
  for (const from of [{ attn: [], mlp: [] }, mid])
    for (const kind of ['attn', 'mlp'] as const)
      for (let l = 0; l < L; l++) {
        const set = new Set(from[kind]);
        if (set.has(l)) set.delete(l);
        else set.add(l);
        pairs.push({ from, to: { ...from, [kind]: [...set].sort((a, b) => a - b) } });
      }
  const cache = new Map<string, number[]>();
  const get = async (d: DropConfig) => {
    const k = JSON.stringify(d);
    if (!cache.has(k)) cache.set(k, await perWindow(e, d, windows));
    return cache.get(k) as number[];
  };
  const byN: Record<string, unknown> = {};
  for (const n of [1, 2, 4].filter((x) => x < windows)) {
    const paired: { error: number; se: number }[] = [];
    const unpaired: { error: number; se: number }[] = [];
    for (const { from, to } of pairs) {
      const ref = await get(from);
      const cur = await get(to);
      const final = cur.reduce((a, b) => a + b, 0) / windows;
      const refMean = ref.reduce((a, b) => a + b, 0) / windows;
      const d = cur.slice(0, n).map((c, w) => c - ref[w]);
      const seOf = (x: number[]) => {
        const m = x.reduce((a, b) => a + b, 0) / x.length;
        return x.length > 1
          ? Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / (x.length - 1) / x.length)
          : Number.NaN;
      };
      paired.push({ error: refMean + d.reduce((a, b) => a + b, 0) / n - final, se: seOf(d) });
      const u = cur.slice(0, n);
      unpaired.push({ error: u.reduce((a, b) => a + b, 0) / n - final, se: seOf(u) });
    }
    byN[`${n} of ${windows} windows`] = { paired: stats(paired), unpaired: stats(unpaired) };
  }
  await e.dispose();
  return { toggles: pairs.length, from: ['nothing dropped', mid], byWindowsDone: byN };
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'droplab-progressive-'));
  const windowCounts = values.windows.split(',').map(Number);
  // --schedules '' measures the accuracy only.
  const schedules = values.schedules.split(',').filter(Boolean) as BatchSchedule[];
  const results: Record<string, unknown>[] = [];
  const load0 = loadavg()[0];
  const acc: Record<string, unknown> = {};
  const old = existsSync(values.out) ? JSON.parse(readFileSync(values.out, 'utf8')) : null;
  const save = () => {
    const doc = {
      what: 'Time from a toggle to its first estimate vs the whole evaluation, per batch schedule (batches of at most 8 windows); the first estimate against the final mean NLL, paired and unpaired.',
      how: `onnxruntime-node CPU, intra-op threads per row, ${seqLen}-token windows of public/data/moby-dick-heldout.txt; toggles, in order (each row says how many it ran): ${TOGGLES.map((d) => JSON.stringify(d)).join(', ')}; ratios are medians over a row's toggles`,
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work: load average per row (1-minute, at its start and end); this run from ${load0.toFixed(1)} to ${loadavg()[0].toFixed(1)}`,
      date: new Date().toISOString(),
      results,
      accuracy: acc,
    };
    // Rows of other models or thread counts are kept from the file (each row has its own date and load).
    if (old) {
      const run = new Set(schedules.length ? values.models.split(',').map((m) => `${m} ${nThreads}`) : []);
      const kept = (old.results ?? []).filter(
        (r: { model: string; threads: number }) => !run.has(`${r.model} ${r.threads}`),
      );
      doc.results = [...kept, ...results];
      if (!run.has('bundled') && old.accuracy) doc.accuracy = old.accuracy;
    }
    writeFileSync(values.out, `${JSON.stringify(doc, null, 2)}\n`);
  };
  try {
    if (values.models.split(',').includes('bundled'))
      for (const w of windowCounts) {
        acc[`${w} windows`] = await accuracy(w);
        console.error(`accuracy ${w} windows: ${JSON.stringify(acc[`${w} windows`])}`);
      }
    for (const model of values.models.split(',')) {
      let dir = BUNDLED;
      if (!schedules.length) break;
      if (model !== 'bundled') {
        const s = SHAPES[model];
        if (!s) throw new Error(`unknown model '${model}' (bundled or one of ${Object.keys(SHAPES).join(', ')})`);
        dir = join(tmp, model);
        writeRandomLlama(dir, s);
      }
      for (const schedule of schedules) {
        console.error(`${model} ${schedule} ...`);
        const l0 = loadavg()[0];
        const cases = await runCase(dir, schedule, windowCounts);
        const load = `${l0.toFixed(1)} to ${loadavg()[0].toFixed(1)}`;
        results.push({
          model,
          schedule,
          threads: nThreads,
          toggles: TOGGLES.length,
          date: new Date().toISOString(),
          loadAverage: load,
          cases,
        });
        save(); // after every case: a long run keeps what it has measured
      }
    }
    save();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.error(`wrote ${values.out}`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
