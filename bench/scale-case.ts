/**
 * One bench:scale case in its own process (so its peak RSS is its own): load a model folder at a
 * precision, analyse windows of text, print one JSON line with Node's peak RSS
 * (process.resourceUsage().maxRSS), RSS after load, load time and analysis time per 1k tokens.
 *
 *   tsx bench/scale-case.ts <model dir> <fp32|fp16|q8|q4> [seqLen] [windows] [threads] [arena 0|1] [fold]
 *
 * `fold`: undo fp16's session options (constant folding and pre-packing back on), to show what they save.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderFiles } from '../src/cli/node-files';
import { nodeEngine } from '../src/cli/ort-node';
import type { WeightPrecision } from '../src/engine/api';
import { splitDocuments } from '../src/engine/data';

const [dir, weights, seqLenArg, windowsArg, threadsArg, arenaArg, foldArg] = process.argv.slice(2);
const seqLen = Number(seqLenArg ?? 256);
const windows = Number(windowsArg ?? 4);
const threads = Number(threadsArg ?? 2);
const arena = arenaArg === '1';
const text = splitDocuments(readFileSync(join(import.meta.dirname, '../public/data/moby-dick-heldout.txt'), 'utf8'));
const mib = (b: number) => Math.round(b / 2 ** 20);

async function main() {
  const rss0 = process.memoryUsage().rss;
  const e = nodeEngine({
    weights: weights as WeightPrecision,
    batchWindows: Math.min(4, windows),
    sessionOptions: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      enableCpuMemArena: arena,
      ...(foldArg === 'fold'
        ? {
            graphOptimizationLevel: 'all',
            extra: { 'session.disable_prepacking': '0', 'optimization.disable_specified_optimizers': '' },
          }
        : {}),
    },
  });
  const t0 = performance.now();
  const info = await e.loadModel({ kind: 'local', name: dir }, folderFiles(dir));
  const loadMs = performance.now() - t0;
  const rssLoaded = process.memoryUsage().rss;
  const jsBuffersLoaded = process.memoryUsage().arrayBuffers; // JS-side typed arrays alive or not yet collected
  await e.setText(text, { seqLen, windows });
  const t1 = performance.now();
  const r = await e.analyze({ attn: [], mlp: [] });
  const analyzeMs = performance.now() - t1;
  const t2 = performance.now();
  await e.evaluate({ attn: [0], mlp: [] }); // a toggle: re-runs everything after attention 0
  const toggleMs = performance.now() - t2;
  const tokens = seqLen * windows;
  console.log(
    JSON.stringify({
      weights: info.weights,
      parameters: info.parameters,
      baselineRssMiB: mib(rss0),
      rssAfterLoadMiB: mib(rssLoaded),
      jsArrayBuffersAfterLoadMiB: mib(jsBuffersLoaded),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      loadMs: Math.round(loadMs),
      analyzeMsPer1kTokens: Math.round((analyzeMs / tokens) * 1000),
      toggleEvalMsPer1kTokens: Math.round((toggleMs / tokens) * 1000),
      perplexity: r.eval.perplexity,
      tokens,
      threads,
      arena,
    }),
  );
  await e.dispose();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
