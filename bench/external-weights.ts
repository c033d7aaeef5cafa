/**
 * A measurement for the cold start (bench/cold-start.ts): the live sublayer graphs built and opened two ways,
 * weights inside the protobuf (GraphBuilder.build(), what the engine does) or as ONNX external data handed
 * to onnxruntime-node from memory (`sessionOptions.externalData`, one entry per initializer of 4 KiB or
 * more, no final copy of the model). Prints the CPU time of building and of session creation for every
 * attention and MLP graph, and the first sublayers' outputs on one input, which must agree in both ways.
 *
 *   npx tsx bench/external-weights.ts <model dir> <embedded|external>
 *
 * Run each way in its own process (cold), alternating.
 */
import { folderFiles } from '../src/cli/node-files';
import { ortNode } from '../src/cli/ort-node';
import * as blocks from '../src/engine/graphs/blocks';
import { liveFormat } from '../src/engine/graphs/precision';
import { DIM, IO } from '../src/engine/graphs/sublayers';
import { loadModelFromFiles } from '../src/engine/model/load';
import { GraphBuilder } from '../src/engine/onnx/builder';
import { encodeModel, type ExternalRef } from '../src/engine/onnx/proto';
import type { OrtSession } from '../src/engine/runtime/ort';

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== 'embedded' && mode !== 'external'))
  throw new Error('usage: bench/external-weights.ts <model dir> <embedded|external>');
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};
const { spec, weights } = await loadModelFromFiles(folderFiles(dir), {});
const d = spec.hiddenSize;
const opts = { format: liveFormat('fp32', { f16: true }) };

/** The engine's attention or MLP graph (graphs/sublayers.ts), serialized the chosen way. */
function graph(l: number, kind: 'attn' | 'mlp') {
  const b = new GraphBuilder(`droplab_${kind}_${l}`);
  const ctx = blocks.blockContext(b, spec, opts);
  const x = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, d]);
  const w = weights.layers[l];
  const s =
    kind === 'attn'
      ? blocks.attentionSublayer(ctx, x, w, l, { positions: blocks.sequencePositions(b, x) })
      : blocks.mlpSublayer(ctx, x, w, l);
  b.output(s.out, IO.hiddenOut, [DIM.batch, DIM.seq, d]);
  b.output(blocks.cosine(b, x, s.out), IO.cos, [DIM.batch, DIM.seq]);
  b.output(blocks.cosine(b, s.normed, s.delta), IO.cosNoNorm, [DIM.batch, DIM.seq]);
  if (mode === 'embedded') return { model: b.build(), externalData: undefined };
  const md = b.modelData();
  const refs = new Map<string, ExternalRef>();
  const externalData: { path: string; data: Uint8Array }[] = [];
  md.graph.initializers.forEach((t, i) => {
    if (t.bytes.length < 4096) return;
    const path = `w${i}.bin`;
    refs.set(t.name, { location: path, offset: 0, length: t.bytes.length });
    externalData.push({ path, data: t.bytes });
  });
  return { model: encodeModel(md, refs), externalData };
}

const options = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  enableCpuMemArena: false,
  graphOptimizationLevel: 'all' as const,
  logSeverityLevel: 3 as const,
};
let buildMs = 0;
let createMs = 0;
const sessions: OrtSession[] = [];
for (let l = 0; l < spec.numLayers; l++)
  for (const kind of ['attn', 'mlp'] as const) {
    const a = cpu();
    const g = graph(l, kind);
    const b = cpu();
    buildMs += b - a;
    sessions.push(
      await ortNode.InferenceSession.create(
        g.model,
        g.externalData ? { ...options, externalData: g.externalData } : options,
      ),
    );
    createMs += cpu() - b;
  }
const T = 64;
let h = new ortNode.Tensor(
  'float32',
  Float32Array.from({ length: T * d }, (_, i) => Math.sin(i * 0.37)),
  [1, T, d],
);
let cosSum = 0;
for (const s of sessions.slice(0, 6)) {
  const o = await s.run({ [IO.hidden]: h });
  h = o[IO.hiddenOut];
  for (const v of o[IO.cos].data as Float32Array) cosSum += v;
}
console.log(
  JSON.stringify({
    mode,
    buildCpuMs: Math.round(buildMs),
    createCpuMs: Math.round(createMs),
    sessions: sessions.length,
    check: { cosSum, first: Array.from((h.data as Float32Array).slice(0, 4)) },
  }),
);
await Promise.all(sessions.map((s) => s.release()));
