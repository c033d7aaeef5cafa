/**
 * Where the per-sublayer pipeline spends its time against the monolithic graph, robust to a busy machine:
 * onnxruntime's own profiler (onnxruntime-node, one thread), each node's kernel time taken as its minimum
 * over the runs, summed by operator type, for every session of the pipeline (embedding, each attention and
 * MLP sublayer fetching only hidden_out, head fetching only nll) and for the monolithic graph.
 *
 *   npx tsx bench/kernel-profile.ts [--model DIR] [--seq-len N] [--windows N] [--runs N]
 *
 * Default: the bundled model, 8 windows x 256 tokens, 12 runs. Prints a table (ms per forward).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderFiles } from '../src/cli/node-files';
import { ortNode } from '../src/cli/ort-node';
import { monolithic } from '../src/engine/graphs/monolithic';
import * as graphs from '../src/engine/graphs/sublayers';
import { loadModelFromFiles } from '../src/engine/model/load';
import type { OrtTensor } from '../src/engine/runtime/ort';
import { BUNDLED_DIR } from './models';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Profile {
  byOp: Map<string, number>; // ms per run: sum over nodes of the node's minimum kernel time
}

async function profile(
  dir: string,
  name: string,
  bytes: Uint8Array,
  feeds: Record<string, OrtTensor>,
  fetches: string[],
  runs: number,
): Promise<Profile> {
  const s = await ortNode.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: join(dir, name),
    logSeverityLevel: 3,
  });
  for (let i = 0; i < runs; i++) {
    const out = await s.run(feeds, fetches);
    for (const t of Object.values(out)) t.dispose();
  }
  await (s as unknown as { endProfiling?: () => Promise<void> }).endProfiling?.();
  await s.release();
  const file = readdirSync(dir).find((f) => f.startsWith(`${name}_`) || f.startsWith(name));
  if (!file) throw new Error(`no profile written for ${name}`);
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  rmSync(join(dir, file));
  const nodes = new Map<string, { op: string; min: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const n = nodes.get(e.name);
    if (!n) nodes.set(e.name, { op: e.args?.op_name ?? '?', min: e.dur });
    else n.min = Math.min(n.min, e.dur);
  }
  const byOp = new Map<string, number>();
  for (const { op, min } of nodes.values()) byOp.set(op, (byOp.get(op) ?? 0) + min / 1000);
  return { byOp };
}

async function main() {
  const modelDir = option('model', join(ROOT, BUNDLED_DIR));
  const T = Number(option('seq-len', '256'));
  const B = Number(option('windows', '8'));
  const runs = Number(option('runs', '12'));
  const { spec, weights } = await loadModelFromFiles(folderFiles(modelDir));
  const d = spec.hiddenSize;
  const dir = mkdtempSync(join(tmpdir(), 'droplab-prof-'));
  const x = new ortNode.Tensor(
    'float32',
    Float32Array.from({ length: B * T * d }, (_, i) => Math.sin(i) * 0.5),
    [B, T, d],
  );
  const ids = new ortNode.Tensor(
    'int64',
    BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 7) % Math.min(256, spec.vocabSize))),
    [B, T],
  );
  const pipeline = new Map<string, number>();
  const add = (p: Profile) => {
    for (const [k, v] of p.byOp) pipeline.set(k, (pipeline.get(k) ?? 0) + v);
  };
  add(await profile(dir, 'embed', graphs.embedding(spec, weights), { input_ids: ids }, ['hidden'], runs));
  for (let l = 0; l < spec.numLayers; l++) {
    add(await profile(dir, `attn${l}`, graphs.attention(spec, weights, l), { hidden: x }, ['hidden_out'], runs));
    add(await profile(dir, `mlp${l}`, graphs.mlp(spec, weights, l), { hidden: x }, ['hidden_out'], runs));
  }
  add(await profile(dir, 'head', graphs.head(spec, weights), { hidden: x, input_ids: ids }, ['nll'], runs));
  const mono = (
    await profile(dir, 'mono', monolithic(spec, weights, { attn: [], mlp: [] }), { input_ids: ids }, ['nll'], runs)
  ).byOp;
  rmSync(dir, { recursive: true, force: true });
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const ops = [...new Set([...pipeline.keys(), ...mono.keys()])].sort(
    (a, b) => (pipeline.get(b) ?? 0) - (pipeline.get(a) ?? 0),
  );
  console.log(
    `${modelDir}: ${B} windows x ${T} tokens, onnxruntime-node, 1 thread; per-node minimum kernel time over ${runs} runs, ms per forward`,
  );
  console.log(`${'operator'.padEnd(32)} ${'pipeline'.padStart(9)} ${'monolithic'.padStart(11)}`);
  for (const op of ops)
    console.log(
      `${op.padEnd(32)} ${(pipeline.get(op) ?? 0).toFixed(2).padStart(9)} ${(mono.get(op) ?? 0).toFixed(2).padStart(11)}`,
    );
  console.log(`${'total'.padEnd(32)} ${total(pipeline).toFixed(2).padStart(9)} ${total(mono).toFixed(2).padStart(11)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
