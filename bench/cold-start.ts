/**
 * npm run bench:cold-start (issue 13 item 7): time to the first result on a cold process, DropLab beside
 * transformers.js, on the same model, the same tokens, onnxruntime-node's CPU provider and the same number of
 * intra-op threads (1 by default). Each measurement is a fresh child process (bench/cold-start-case.ts),
 * in the order DropLab analyze, transformers.js, DropLab evaluate, repeated; medians, and the ratios
 * DropLab / transformers.js of wall time and of CPU time (this machine is shared: CPU time is the steadier).
 *
 * - DropLab: loadModel of the folder + setText + the first analyze() (what the heatmap shows), and
 *   separately + the first evaluate() (perplexity only); with the breakdown: file reading, graph
 *   building (and the rest of loadModel), session creation (count, time), session runs.
 * - transformers.js: the folder exported by DropLab (src/engine/export, no drops, fp32) to a temp folder;
 *   AutoModelForCausalLM.from_pretrained + one forward over DropLab's windows ([windows, seqLen]).
 * Children run with glibc's malloc set as bin/droplab.mjs would for the model (--malloc cli, the default: the
 * tunables of bin/malloc-tunables.mjs for its weight files: the mid-size set from MALLOC_TUNED_FROM_BYTES, else the
 * small-model set), or --malloc tuned | default | any GLIBC_TUNABLES string; both tools get the same environment.
 * --baseline DIR: also measure the DropLab of another checkout (its bench/cold-start-case.ts, interleaved
 * with this one's), for a before/after in one run; with --malloc cli under that checkout's CLI tunables, and
 * where those differ, transformers.js under them too (baselineTjs, the baseline ratios' denominator).
 *
 *   npm run bench:cold-start [-- --models bundled,SmolLM2-135M --reps 5 --threads 1 --baseline ../old]
 *
 * Writes bench/results/cold-start.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MALLOC_TUNABLES, mallocTunablesFor } from '../bin/malloc-tunables.mjs';
import { folderFiles } from '../src/cli/node-files';
import { nodeFolderFs } from '../src/cli/node-fs';
import { buildWindows, splitDocuments } from '../src/engine/data';
import { exportModel, folderSink } from '../src/engine/export';
import { loadModelFromFiles } from '../src/engine/model/load';
import { Tokenizer } from '../src/engine/tokenizer';
import { SHAPES, writeRandomLlama } from '../tests/fixtures/random-llama-node';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'bundled' },
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
    'seq-len': { type: 'string', default: '256' },
    windows: { type: 'string', default: '8' },
    /** Window settings for the random shapes (a 135M model on one thread: keep it short). */
    'big-seq-len': { type: 'string', default: '128' },
    'big-windows': { type: 'string', default: '2' },
    malloc: { type: 'string', default: 'cli' },
    baseline: { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, 'results/cold-start.json') },
  },
});
/**
 * GLIBC_TUNABLES for the children measuring the model in `dir` ('' = glibc's defaults); with --malloc cli, as
 * `rule` (the CLI's mallocTunablesFor, this checkout's or the baseline's) sets them.
 */
function tunablesFor(dir: string, rule: typeof mallocTunablesFor = mallocTunablesFor): string {
  if (values.malloc === 'cli') return rule(['--model', dir], {}, 'linux') ?? '';
  return values.malloc === 'tuned' ? MALLOC_TUNABLES : values.malloc === 'default' ? '' : (values.malloc as string);
}
/** The baseline checkout's own CLI malloc rule (--malloc cli), so that a before/after includes a change to it. */
const baselineRule: typeof mallocTunablesFor | undefined = values.baseline
  ? (await import(join(values.baseline, 'bin/malloc-tunables.mjs'))).mallocTunablesFor
  : undefined;
let env = process.env;
const TSX = join(import.meta.dirname, '../node_modules/tsx/dist/cli.mjs');
const CASE = join(import.meta.dirname, 'cold-start-case.ts');
const TEXT = join(import.meta.dirname, '../public/data/moby-dick-heldout.txt');
const BUNDLED = join(import.meta.dirname, '../public/models/droplab-byte-12l');
const reps = Number(values.reps);
const threads = values.threads;
const tmp = mkdtempSync(join(tmpdir(), 'droplab-cold-'));

type Times = { wall: number; cpu: number };
type Row = Record<string, unknown> & { totalMs: Times };

function runCase(args: string[], root?: string, childEnv = env): Row {
  const out = execFileSync(process.execPath, [TSX, root ? join(root, 'bench/cold-start-case.ts') : CASE, ...args], {
    encoding: 'utf8',
    env: childEnv,
    cwd: root,
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Medians of every numeric leaf of the rows' objects (wall, cpu, count), keyed like the rows. */
function medians(rows: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rows[0])) {
    if (typeof v === 'number') out[k] = median(rows.map((r) => r[k] as number));
    else if (v && typeof v === 'object' && !Array.isArray(v))
      out[k] = medians(rows.map((r) => r[k] as Record<string, unknown>));
  }
  return out;
}
const ratio = (a: Times, b: Times) => ({
  wall: Math.round((a.wall / b.wall) * 100) / 100,
  cpu: Math.round((a.cpu / b.cpu) * 100) / 100,
});

async function prepare(model: string): Promise<{ dir: string; seqLen: number; windows: number }> {
  const big = model !== 'bundled';
  let dir = BUNDLED;
  if (big) {
    const shape = SHAPES[model];
    if (!shape) throw new Error(`unknown model ${model}: bundled or one of ${Object.keys(SHAPES).join(', ')}`);
    dir = join(tmp, `${model}-src`);
    writeRandomLlama(dir, shape);
  }
  const seqLen = Number(big ? values['big-seq-len'] : values['seq-len']);
  const windows = Number(big ? values['big-windows'] : values.windows);
  const files = folderFiles(dir);
  const m = await loadModelFromFiles(files, {});
  await exportModel(
    { model: m, files },
    { drop: { attn: [], mlp: [] }, formats: ['fp32'] },
    folderSink(nodeFolderFs, join(tmp, 'tjs', model)),
  );
  // The windows Engine.setText makes (same tokenizer, EOS and text), for transformers.js's forward.
  const tok = await Tokenizer.fromFiles(files, { eosTokenId: m.spec.eosTokenId });
  const eos = tok.eosTokenId ?? m.spec.eosTokenId ?? 0;
  const w = buildWindows(splitDocuments(readFileSync(TEXT, 'utf8')), (s) => tok.encode(s), eos, seqLen, windows);
  writeFileSync(join(tmp, `${model}-ids.json`), JSON.stringify({ ids: Array.from(w.ids), windows: w.windows, seqLen }));
  return { dir, seqLen, windows: w.windows };
}

const results: Record<string, unknown>[] = [];
try {
  mkdirSync(join(tmp, 'tjs'));
  for (const model of values.models.split(',')) {
    const { dir, seqLen, windows } = await prepare(model);
    const tunables = tunablesFor(dir);
    env = { ...process.env, GLIBC_TUNABLES: tunables };
    const ids = join(tmp, `${model}-ids.json`);
    const base = values.baseline;
    // A baseline whose CLI sets other tunables runs with those, and transformers.js is measured with them too.
    const baseTunables = base ? tunablesFor(dir, baselineRule) : tunables;
    const baseEnv = { ...process.env, GLIBC_TUNABLES: baseTunables };
    const ownTjs = base && baseTunables !== tunables;
    const runs: Record<string, Row[]> = {
      analyze: [],
      evaluate: [],
      tjs: [],
      ...(base ? { baselineAnalyze: [], baselineEvaluate: [] } : {}),
      ...(ownTjs ? { baselineTjs: [] } : {}),
    };
    const dl = (mode: string) => ['droplab', dir, mode, TEXT, String(seqLen), String(windows), threads];
    for (let r = 0; r < reps; r++) {
      const tjsArgs = ['tjs', join(tmp, 'tjs'), model, ids, threads];
      if (base) runs.baselineAnalyze.push(runCase(dl('analyze'), base, baseEnv));
      runs.analyze.push(runCase(dl('analyze')));
      runs.tjs.push(runCase(tjsArgs));
      if (ownTjs) runs.baselineTjs.push(runCase(tjsArgs, undefined, baseEnv));
      if (base) runs.baselineEvaluate.push(runCase(dl('evaluate'), base, baseEnv));
      runs.evaluate.push(runCase(dl('evaluate')));
      const last = (k: string) => JSON.stringify(runs[k][runs[k].length - 1].totalMs);
      console.error(
        `${model} rep ${r + 1}/${reps}: ${Object.keys(runs)
          .map((k) => `${k} ${last(k)}`)
          .join(', ')} (load ${loadavg()[0].toFixed(1)})`,
      );
    }
    const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, medians(v)])) as Record<
      string,
      Record<string, Times>
    >;
    const noText = (m: Record<string, Times>) => ({
      wall: m.totalMs.wall - m.setTextMs.wall,
      cpu: m.totalMs.cpu - m.setTextMs.cpu,
    });
    const perplexities = [...new Set(Object.values(runs).flatMap((rs) => rs.map((r) => r.perplexity)))].filter(
      (p) => p !== undefined,
    );
    results.push({
      model,
      seqLen,
      windows,
      malloc: tunables ? `GLIBC_TUNABLES=${tunables}` : 'glibc defaults',
      ...(ownTjs ? { baselineMalloc: baseTunables ? `GLIBC_TUNABLES=${baseTunables}` : 'glibc defaults' } : {}),
      ratio: {
        analyze: ratio(med.analyze.totalMs, med.tjs.totalMs),
        evaluate: ratio(med.evaluate.totalMs, med.tjs.totalMs),
        analyzeWithoutSetText: ratio(noText(med.analyze), med.tjs.totalMs),
        evaluateWithoutSetText: ratio(noText(med.evaluate), med.tjs.totalMs),
        ...(base
          ? {
              baselineAnalyze: ratio(med.baselineAnalyze.totalMs, med[ownTjs ? 'baselineTjs' : 'tjs'].totalMs),
              baselineEvaluate: ratio(med.baselineEvaluate.totalMs, med[ownTjs ? 'baselineTjs' : 'tjs'].totalMs),
            }
          : {}),
      },
      median: med,
      perplexities,
      runs,
    });
    if (model !== 'bundled') rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmp, 'tjs', model), { recursive: true, force: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const pkg = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../node_modules', name, 'package.json'), 'utf8')).version;
const result = {
  bench: 'cold-start',
  date: new Date().toISOString(),
  machine: { cpus: cpus()[0]?.model ?? '', cores: availableParallelism(), node: process.version },
  versions: {
    'onnxruntime-node': pkg('onnxruntime-node'),
    '@huggingface/transformers': pkg('@huggingface/transformers'),
  },
  settings: {
    reps,
    intraOpThreads: Number(threads),
    malloc: values.malloc,
    baseline: values.baseline ?? null,
    text: 'public/data/moby-dick-heldout.txt',
    order: values.baseline
      ? "per repetition: baseline DropLab analyze, DropLab analyze, transformers.js, transformers.js under the baseline's tunables (where they differ), baseline DropLab evaluate, DropLab evaluate; each a fresh process"
      : 'per repetition: DropLab analyze, transformers.js, DropLab evaluate; each a fresh process',
    measured:
      'from after the imports: DropLab loadModel + setText + first analyze()/evaluate(); transformers.js from_pretrained + one forward (fp32 export of the same model). Wall and process CPU time (user + system), ms; ratio = DropLab / transformers.js of the medians',
  },
  results,
};
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
// As biome formats JSON (short arrays on one line), so `npm run lint` passes on a committed result (biome
// leaves a file outside the repository alone and fails: that is fine).
try {
  execFileSync(join(import.meta.dirname, '../node_modules/.bin/biome'), ['format', '--write', values.out], {
    stdio: 'ignore',
    cwd: join(import.meta.dirname, '..'),
  });
} catch {}
console.error(`wrote ${values.out}`);
for (const r of results) console.error(`${r.model}: ${JSON.stringify(r.ratio)}`);
