/**
 * Calibrated 4-bit export on the bundled model (issue 16): `npm run bench:quant [-- options]`, writes
 * bench/results/quant.json.
 *
 * For each block size and quantizer (rtn, gptq, gptq with act-order, awq, awq with clipping) the q4
 * graph is built from the model with `drop` applied, and its perplexity measured on held-out windows
 * of public/data/moby-dick-heldout.txt (the windows after the calibration ones), beside the fp32
 * export's. Reported: file bytes, perplexity, gap to fp32, the fraction of RTN's gap closed, and the
 * time of each part (calibration session runs, GPTQ Hessian/Cholesky and column loop, AWQ search,
 * final quantization, graph build). onnxruntime-node CPU.
 *
 * Options: --calib N (default 32)  --heldout N (default 32)  --seq N (default 256)  --blocks 32,128
 *          --drop-attn 4,7,9  --out FILE  --text public/data/sotu-heldout.txt  --variants "awq sublayer,awq clip" (rtn always runs: the gap reference)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderFiles } from '../src/cli/node-files';
import { ortNode } from '../src/cli/ort-node';
import { buildWindows, splitDocuments } from '../src/engine/data';
import { planQ4, type QuantOptions, splitCalibration } from '../src/engine/export/calibrated';
import { buildKvGraph } from '../src/engine/export/graph';
import { scoreWindows } from '../src/engine/export/perplexity';
import { loadModelFromFiles } from '../src/engine/model/load';
import { Tokenizer } from '../src/engine/tokenizer';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const calibN = Number(arg('calib', '32'));
const heldN = Number(arg('heldout', '32'));
const seq = Number(arg('seq', '256'));
const blocks = arg('blocks', '32,128').split(',').map(Number);
const only = arg('variants', '').split(',').filter(Boolean);
const textPath = arg('text', 'public/data/moby-dick-heldout.txt');
const dropAttn = arg('drop-attn', '').split(',').filter(Boolean).map(Number);
const out = arg('out', join(ROOT, 'bench/results/quant.json'));

const VARIANTS: { name: string; q: Omit<QuantOptions, 'block'> }[] = [
  { name: 'rtn', q: { method: 'rtn' } },
  { name: 'gptq', q: { method: 'gptq' } },
  { name: 'gptq act-order', q: { method: 'gptq', actOrder: true } },
  // AWQ's defaults: q/k/v and gate/up judged on the sublayer's output (awq-sublayer.ts), clipping search.
  { name: 'awq', q: { method: 'awq' } },
  { name: 'awq no-clip', q: { method: 'awq', clip: false } },
  // Every scale judged on its linear's own output error from H (awq.ts), as first built.
  { name: 'awq linear', q: { method: 'awq', awqObjective: 'linear', clip: false } },
  { name: 'awq linear clip', q: { method: 'awq', awqObjective: 'linear', clip: true } },
  // 'awq linear' (its errors on the runtime: every alpha as one float32 MatMul graph, awq-ort.ts, the
  // default) with the float64 TypeScript evaluations, side by side in one run: four rows per pass over
  // H (quadFormSum), and the first row-by-row loop (outputError). Same alphas, same file expected.
  {
    name: 'awq linear blocked-eval',
    q: { method: 'awq', awqObjective: 'linear', clip: false, awqErrorEval: 'blocked' },
  },
  { name: 'awq linear loop-eval', q: { method: 'awq', awqObjective: 'linear', clip: false, awqErrorEval: 'loop' } },
];

async function main() {
  const dir = join(ROOT, 'public/models/droplab-byte-12l');
  const files = folderFiles(dir);
  const model = await loadModelFromFiles(files);
  const tok = await Tokenizer.fromFiles(files);
  const text = readFileSync(join(ROOT, textPath), 'utf8');
  const w = buildWindows(splitDocuments(text), (s) => tok.encode(s), model.spec.eosTokenId ?? 0, seq, calibN + heldN);
  const { calibration, heldout } = splitCalibration(w.ids, seq, w.windows, calibN, heldN);
  const drop = { attn: dropAttn, mlp: [] };
  const ort = ortNode;
  const tf = performance.now();
  const fp32 = await scoreWindows(
    ort,
    buildKvGraph(model.spec, model.weights, drop, 'fp32').build(),
    model.spec,
    drop,
    heldout,
    seq,
  );
  const fp32ScoreMs = Math.round(performance.now() - tf);
  console.log(`fp32 perplexity ${fp32.perplexity.toFixed(4)} on ${fp32.tokens} held-out tokens`);
  const rows: Record<string, unknown>[] = [];
  for (const block of blocks) {
    let rtnGap = 0;
    let awqRef: { alphas: Record<string, number>; onnx: Uint8Array } | null = null;
    for (const v of VARIANTS.filter((x) => !only.length || x.name === 'rtn' || only.includes(x.name))) {
      const t0 = performance.now();
      const plan = await planQ4(
        model.spec,
        model.weights,
        drop,
        { ...v.q, block },
        {
          ort,
          windows: calibration,
          seqLen: seq,
        },
      );
      const tPlan = performance.now() - t0;
      const t1 = performance.now();
      const onnx = buildKvGraph(model.spec, model.weights, drop, 'q4', { q4: plan }).build();
      const tBuild = performance.now() - t1;
      const ts = performance.now();
      const s = await scoreWindows(ort, onnx, model.spec, drop, heldout, seq);
      const scoreMs = Math.round(performance.now() - ts);
      const gap = s.perplexity / fp32.perplexity - 1;
      if (v.name === 'rtn') rtnGap = gap;
      if (v.name === 'awq linear') awqRef = { alphas: plan.alphas, onnx };
      const row = {
        block,
        quant: v.name,
        bytes: onnx.byteLength,
        perplexity: s.perplexity,
        gapPercent: 100 * gap,
        rtnGapClosedPercent: v.name === 'rtn' ? 0 : 100 * (1 - gap / rtnGap),
        planMs: Math.round(tPlan),
        graphBuildMs: Math.round(tBuild),
        scoreMs,
        timingsMs: Object.fromEntries(Object.entries(plan.timings).map(([k, x]) => [k, Math.round(x)])),
        alphas: v.q.method === 'awq' ? plan.alphas : undefined,
        ...(v.name === 'awq linear loop-eval' || v.name === 'awq linear blocked-eval'
          ? {
              sameAsOrtEval: {
                alphas: JSON.stringify(plan.alphas) === JSON.stringify(awqRef?.alphas),
                bytes: awqRef !== null && Buffer.compare(Buffer.from(onnx), Buffer.from(awqRef.onnx)) === 0,
              },
            }
          : {}),
      };
      rows.push(row);
      console.log(
        `block ${block} ${v.name.padEnd(15)} ${onnx.byteLength} bytes  ppl ${s.perplexity.toFixed(4)}  gap ${(100 * gap).toFixed(3)}%  closed ${row.rtnGapClosedPercent.toFixed(1)}%  plan ${Math.round(tPlan)} ms ${JSON.stringify(row.timingsMs)}`,
      );
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        model: 'droplab-byte-12l',
        text: textPath,
        seqLen: seq,
        calibrationWindows: calibN,
        heldoutWindows: heldN,
        heldoutTokens: fp32.tokens,
        drop,
        fp32Perplexity: fp32.perplexity,
        fp32ScoreMs,
        machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
        runtime: 'onnxruntime-node CPU',
        rows,
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
