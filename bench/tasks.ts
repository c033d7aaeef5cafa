/**
 * Task accuracy beside perplexity on the bundled model (issue 14): `npx tsx bench/tasks.ts [options]`,
 * writes bench/results/tasks.json.
 *
 * 1. Accuracy: the offline task (public/tasks/word-completion.jsonl, all 300 items) at baseline and after
 *    LLM-Drop's one-shot plans dropping 2, 4 and 6 sublayers: attention (n layers), MLP (n layers) and
 *    block (n/2 blocks), the plans scored on the perplexity windows. Each row: acc, acc_norm with lm-eval
 *    standard errors, and the perplexity of public/data/moby-dick-heldout.txt (the first --windows
 *    windows of --seq tokens) with the same drops.
 * 2. Time: scoring the task cold (no cached state: a fresh copy of the items) per item and per token,
 *    against a cold perplexity evaluation per window of --seq tokens, as medians of --reps runs;
 *    "relative" = the task's ms per forward token / perplexity's ms per token, and one item's cost in
 *    perplexity windows of the same tokens. onnxruntime-node CPU, --threads intra-op threads.
 *
 * Options: --windows N (32)  --seq N (256)  --reps N (3)  --threads N (1)  --time-items N (100)  --out FILE
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderFiles } from '../src/cli/node-files';
import { nodeEngine, threads } from '../src/cli/ort-node';
import type { DropConfig, PlanTarget, TaskItems, TaskResult } from '../src/engine/api';
import { parseTaskJsonl } from '../src/engine/tasks/jsonl';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const windows = Number(arg('windows', '32'));
const seq = Number(arg('seq', '256'));
const reps = Number(arg('reps', '3'));
const nThreads = Number(arg('threads', '1'));
const timeItems = Number(arg('time-items', '100'));
const out = arg('out', join(ROOT, 'bench/results/tasks.json'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);

const engine = nodeEngine({ ...threads(nThreads) });
await engine.loadModel(
  { kind: 'bundled', name: 'droplab-byte-12l' },
  folderFiles(join(ROOT, 'public/models/droplab-byte-12l')),
);
const text = readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8');
const data = await engine.setText(text, { seqLen: seq, windows });
const task = parseTaskJsonl(readFileSync(join(ROOT, 'public/tasks/word-completion.jsonl'), 'utf8'), 'word-completion');

const row = (target: string, n: number, drop: DropConfig, r: TaskResult, ppl: number) => ({
  target,
  sublayers: n,
  drop,
  acc: r4(r.acc),
  accStderr: r4(r.accStderr),
  accNorm: r4(r.accNorm),
  accNormStderr: r4(r.accNormStderr),
  perplexity: r4(ppl),
});

const rows = [];
const base = await engine.scoreTask(task, { attn: [], mlp: [] });
const basePpl = (await engine.evaluate({ attn: [], mlp: [] })).perplexity;
rows.push(row('none', 0, { attn: [], mlp: [] }, base, basePpl));
console.log(JSON.stringify(rows[0]));
for (const target of ['attn', 'mlp', 'block'] as PlanTarget[]) {
  for (const n of [2, 4, 6]) {
    const plan = await engine.plan({ target, n: target === 'block' ? n / 2 : n, iterative: false });
    const r = await engine.scoreTask(task, plan.drop);
    const ppl = (await engine.evaluate(plan.drop)).perplexity;
    rows.push(row(target, n, plan.drop, r, ppl));
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
}

// ---- time: task scoring vs perplexity windows, cold ----
const sub: TaskItems = { ...task, items: task.items.slice(0, timeItems) };
const taskMs: number[] = [];
let forwardTokens = 0;
let sequences = 0;
for (let k = 0; k < reps; k++) {
  const fresh: TaskItems = { ...sub, name: `${sub.name}-timing-${k}` }; // a new fingerprint: nothing cached
  const t0 = performance.now();
  const r = await engine.scoreTask(fresh, { attn: [], mlp: [] });
  taskMs.push(performance.now() - t0);
  forwardTokens = r.forwardTokens;
  sequences = r.sequences;
}
const pplMs: number[] = [];
for (let k = 0; k < reps; k++) {
  await engine.setText(text, { seqLen: seq, windows }); // clears the cached states
  const t0 = performance.now();
  await engine.evaluate({ attn: [], mlp: [] });
  pplMs.push(performance.now() - t0);
}
const tMs = median(taskMs);
const pMs = median(pplMs);
const pplTokens = windows * seq;
const taskPerToken = tMs / forwardTokens;
const pplPerToken = pMs / pplTokens;
const timing = {
  items: timeItems,
  sequences,
  forwardTokens,
  tokensPerItem: forwardTokens / timeItems,
  taskMsMedian: Math.round(tMs),
  msPerItem: r4(tMs / timeItems),
  taskMsPer1kTokens: r4(1000 * taskPerToken),
  perplexityWindows: windows,
  perplexityTokens: pplTokens,
  perplexityMsMedian: Math.round(pMs),
  perplexityMsPerWindow: r4(pMs / windows),
  perplexityMsPer1kTokens: r4(1000 * pplPerToken),
  relativePerToken: r4(taskPerToken / pplPerToken),
  itemInPerplexityWindows: r4(tMs / timeItems / (pMs / windows)),
  reps,
  taskMsRuns: taskMs.map(Math.round),
  perplexityMsRuns: pplMs.map(Math.round),
};
console.log(JSON.stringify(timing));

const result = {
  model: 'droplab-byte-12l',
  task: { file: 'public/tasks/word-completion.jsonl', items: task.items.length, choices: 4, chance: 0.25 },
  perplexityText: 'public/data/moby-dick-heldout.txt',
  seqLen: data.seqLen,
  windows: data.windows,
  predictedTokens: data.predictedTokens,
  plans:
    'LLM-Drop one-shot: importance scored once on the unpruned model over the perplexity windows; block n/2 blocks',
  stderr: 'lm-eval mean_stderr: sample stddev / sqrt(n)',
  rows,
  timing,
  runtime: `onnxruntime-node CPU, ${nThreads} intra-op thread${nThreads === 1 ? '' : 's'}`,
  machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
await engine.dispose();
