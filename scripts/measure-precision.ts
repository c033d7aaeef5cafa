/**
 * Measure every weight precision against fp32 on the bundled model and write the table the page shows
 * beside the precision: src/engine/precision-deviation.json (run: npx tsx scripts/measure-precision.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderFiles } from '../src/cli/node-files';
import { nodeEngine, threads } from '../src/cli/ort-node';
import type { AnalysisResult, WeightPrecision } from '../src/engine/api';
import { splitDocuments } from '../src/engine/data';
import { comparePrecision, type MeasuredDeviation } from '../src/engine/precision-compare';

const ROOT = join(import.meta.dirname, '..');
const MODEL = 'public/models/droplab-byte-12l';
const TEXT = 'public/data/moby-dick-heldout.txt';
const seqLen = 256;
const windows = 16;

async function analyse(weights: WeightPrecision): Promise<AnalysisResult> {
  const e = nodeEngine({ weights, batchWindows: 8, ...threads(2) });
  await e.loadModel({ kind: 'bundled', name: 'droplab-byte-12l' }, folderFiles(join(ROOT, MODEL)));
  await e.setText(splitDocuments(readFileSync(join(ROOT, TEXT), 'utf8')), { seqLen, windows });
  const r = await e.analyze({ attn: [], mlp: [] });
  await e.dispose();
  return r;
}

const fp32 = await analyse('fp32');
const measured: MeasuredDeviation[] = [];
for (const p of ['fp16', 'q8', 'q4'] as const) {
  const d = comparePrecision(fp32, await analyse(p));
  measured.push({ precision: p, ...d });
  console.log(p, d);
}
const out = { model: 'droplab-byte-12l', text: TEXT.split('/').pop() as string, seqLen, windows, measured };
writeFileSync(join(ROOT, 'src/engine/precision-deviation.json'), `${JSON.stringify(out, null, 2)}\n`);
