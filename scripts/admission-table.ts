/**
 * The table of popular models in docs/PRECISION.md: for each, from its config.json numbers
 * (popular-models.ts), the engine's predicted peak at every weight precision (src/engine/model/admission.ts)
 * and which precisions each backend admits. Run: npx tsx scripts/admission-table.ts (prints Markdown;
 * --write replaces the table between the markers in docs/PRECISION.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { admit, type DeviceLimits, GiB } from '../src/engine/model/admission';
import { specFromConfig } from '../src/engine/model/families';
import { POPULAR_MODELS } from './popular-models';

/** The backends of the table, with their assumptions (stated in docs/PRECISION.md). */
const BACKENDS: { name: string; limits: DeviceLimits }[] = [
  { name: 'wasm, deviceMemory 4 (2 GiB)', limits: { budgetBytes: 2 * GiB, wasm32: true } },
  { name: 'wasm, deviceMemory 8+ (4 GiB)', limits: { budgetBytes: 4 * GiB, wasm32: true } },
  {
    name: 'WebGPU, 4 GiB budget',
    limits: { budgetBytes: 4 * GiB, maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB, f16: true },
  },
  {
    name: 'WebGPU, 8 GiB budget',
    limits: { budgetBytes: 8 * GiB, maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB, f16: true },
  },
];

const gib = (b: number) => (b / GiB).toFixed(2);
const lines = [
  `| model | parameters | peak fp32 | peak fp16 | peak q8 | peak q4 | wasm peak fp32 / q8 | ${BACKENDS.map((b) => b.name).join(' | ')} |`,
  `|---|---:|---:|---:|---:|---:|---:|${BACKENDS.map(() => '---').join('|')}|`,
];
for (const m of POPULAR_MODELS) {
  const spec = specFromConfig({ eos_token_id: 0, ...m.config }); // eos does not change memory
  const base = admit(spec);
  const peaks = base.estimates.map((e) => gib(e.peakBytes));
  const onWasm = admit(spec, { wasm32: true }).estimates;
  const wasmPeaks = ['fp32', 'q8'].map((p) => gib(onWasm.find((e) => e.precision === p)?.peakBytes ?? 0)).join(' / ');
  const cells = BACKENDS.map((b) => {
    const a = admit(spec, b.limits);
    return a.fitting.length ? a.fitting.join(' ') : 'none';
  });
  lines.push(
    `| ${m.name} | ${(base.parameters / 1e9).toFixed(2)}B | ${peaks.join(' | ')} | ${wasmPeaks} | ${cells.join(' | ')} |`,
  );
}
const table = lines.join('\n');
if (process.argv.includes('--write')) {
  const path = join(import.meta.dirname, '../docs/PRECISION.md');
  const doc = readFileSync(path, 'utf8');
  const a = doc.indexOf('<!-- admission-table -->');
  const b = doc.indexOf('<!-- /admission-table -->');
  if (a < 0 || b < 0) throw new Error('docs/PRECISION.md has no admission-table markers');
  writeFileSync(path, `${doc.slice(0, a)}<!-- admission-table -->\n${table}\n${doc.slice(b)}`);
} else console.log(table);
