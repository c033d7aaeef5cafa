/**
 * npm run bench:scale (issue 13 item 7): random llama-architecture models shaped like SmolLM2-135M,
 * Qwen2.5-0.5B and Llama-3.2-1B, written as bf16 safetensors to a temp folder, each analysed at every
 * weight precision in its own child process (bench/scale-case.ts): Node's peak RSS, RSS after load,
 * load time, analysis time per 1k tokens; beside them the admission estimate (model/admission.ts) and
 * the goals (peak <= 1.3 x weights at the precision + 0.5 GB; Llama-3.2-1B at q4 within 2 GB
 * and at q8 within 3 GB). Writes bench/results/scale.json.
 *
 * The cases run with glibc's malloc tunables as the CLI sets them (bin/malloc-tunables.mjs: the mid-size set for
 * weight files from 256 MiB, the small-model set below); --malloc tuned or default: the mid-size set or none.
 *
 *   npm run bench:scale [-- --shapes SmolLM2-135M,Qwen2.5-0.5B --precisions q8,q4 --seq-len 128 --windows 4]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WeightPrecision } from '../src/engine/api';
import { mallocTunablesFor } from '../bin/malloc-tunables.mjs';
import { estimatePrecision } from '../src/engine/model/admission';
import { specFromConfig } from '../src/engine/model/families';
import { SHAPES, writeRandomLlama } from '../tests/fixtures/random-llama-node';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: Object.keys(SHAPES).join(',') },
    precisions: { type: 'string', default: 'fp32,fp16,q8,q4' },
    'seq-len': { type: 'string', default: '128' },
    windows: { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
    malloc: { type: 'string', default: 'cli' },
    out: { type: 'string', default: join(import.meta.dirname, 'results/scale.json') },
  },
});
const GB = 1e9;
const seqLen = Number(values['seq-len']);
const windows = Number(values.windows);
if (!['cli', 'tuned', 'default'].includes(values.malloc)) throw new Error('--malloc is cli, tuned or default');
// glibc's malloc tunables: as the CLI sets them for the folder (cli), the mid-size set (tuned), or none (default).
const caseEnv = (dir: string) => ({
  ...process.env,
  GLIBC_TUNABLES:
    mallocTunablesFor(
      ['--model', dir],
      { DROPLAB_MALLOC: values.malloc === 'cli' ? undefined : values.malloc },
      'linux',
    ) ?? '',
});
const tmp = mkdtempSync(join(tmpdir(), 'droplab-scale-'));
const TSX = join(import.meta.dirname, '../node_modules/tsx/dist/cli.mjs');
const rows: Record<string, unknown>[] = [];

try {
  for (const shape of values.shapes.split(',')) {
    const s = SHAPES[shape];
    const dir = join(tmp, shape);
    const t0 = performance.now();
    const fileBytes = writeRandomLlama(dir, s);
    console.error(
      `${shape}: ${(fileBytes / GB).toFixed(2)} GB bf16 written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    const config = JSON.parse(execFileSync('cat', [join(dir, 'config.json')], { encoding: 'utf8' }));
    const spec = specFromConfig(config);
    for (const p of values.precisions.split(',') as WeightPrecision[]) {
      const est = estimatePrecision(spec, p, { windows, seqLen, batch: Math.min(4, windows) });
      let measured: Record<string, unknown>;
      try {
        const out = execFileSync(
          process.execPath,
          [
            TSX,
            join(import.meta.dirname, 'scale-case.ts'),
            dir,
            p,
            String(seqLen),
            String(windows),
            values.threads,
            '0',
          ],
          { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'], env: caseEnv(dir) },
        );
        measured = JSON.parse(out.trim().split('\n').pop() as string);
      } catch (e) {
        measured = { error: String((e as { stderr?: string }).stderr ?? e).slice(0, 500) };
      }
      const peakBytes = typeof measured.peakRssMiB === 'number' ? measured.peakRssMiB * 2 ** 20 : null;
      const goal = 1.3 * est.weightBytes + 0.5 * GB;
      const row = {
        shape,
        precision: p,
        seqLen,
        windows,
        fileBytes,
        weightBytesAtPrecision: Math.round(est.weightBytes),
        predictedPeakBytes: Math.round(est.peakBytes),
        ...measured,
        glibcTunables: caseEnv(dir).GLIBC_TUNABLES || 'none',
        goalPeakBytes: Math.round(goal),
        meetsPeakGoal: peakBytes === null ? null : peakBytes <= goal,
      };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const find = (shape: string, p: string) => rows.find((r) => r.shape === shape && r.precision === p);
const llamaGoal = (p: string, limit: number) => {
  const r = find('Llama-3.2-1B', p);
  return r && typeof r.peakRssMiB === 'number'
    ? { peakRssMiB: r.peakRssMiB, limitMiB: Math.round(limit / 2 ** 20), met: r.peakRssMiB * 2 ** 20 <= limit }
    : null;
};
const result = {
  bench: 'scale',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus()[0]?.model ?? '',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
  },
  settings: {
    seqLen,
    windows,
    batchWindows: Math.min(4, windows),
    threads: Number(values.threads),
    cpuMemArena: false,
    weightsOnDisk: 'bf16',
    malloc: values.malloc,
  },
  goals: {
    peak: 'peak RSS <= 1.3 x weights at the precision + 0.5 GB',
    llama1bQ4Within2GB: llamaGoal('q4', 2 * GB),
    llama1bQ8Within3GB: llamaGoal('q8', 3 * GB),
  },
  rows,
};
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.error(`wrote ${values.out}`);
