/**
 * fp16 really holds float16 weights (issue 13 item 1): onnxruntime would fold Cast(float16 initializer)
 * into a float32 initializer at session creation; the engine's fp16 session options prevent it. Measured
 * as RSS growth over a model load in a child process each (bench/scale-case.ts), on a random llama of
 * 44M parameters (175 MB as float32): fp16 grows by well under fp32's growth, and the same fp16 graphs
 * with folding allowed grow like fp32 (so the test can fail, and shows what the options save).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomLlama } from '../fixtures/random-llama-node';

const ROOT = join(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
let tmp: string;
let dir: string;

function loadGrowthMiB(precision: string, fold = false): number {
  const out = execFileSync(
    process.execPath,
    [TSX, join(ROOT, 'bench/scale-case.ts'), dir, precision, '16', '1', '1', '0', ...(fold ? ['fold'] : [])],
    { encoding: 'utf8' },
  );
  const j = JSON.parse(out.trim().split('\n').pop() as string) as { rssAfterLoadMiB: number; baselineRssMiB: number };
  return j.rssAfterLoadMiB - j.baselineRssMiB;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-mem-'));
  dir = join(tmp, 'm');
  writeRandomLlama(dir, { d: 1024, L: 3, H: 16, Hkv: 4, hd: 64, I: 4096, V: 512, P: 256, tied: true });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('fp16 weights stay float16 in the runtime', () => {
  it("loads in about half of fp32's memory, and folding the Casts would undo it", { timeout: 300_000 }, () => {
    const fp32 = loadGrowthMiB('fp32');
    const fp16 = loadGrowthMiB('fp16');
    const folded = loadGrowthMiB('fp16', true);
    console.log(`RSS growth over the load: fp32 ${fp32} MiB, fp16 ${fp16} MiB, fp16 with folding ${folded} MiB`);
    expect(fp32).toBeGreaterThan(160); // 44M float32 parameters are there
    expect(fp16).toBeLessThan(0.7 * fp32);
    expect(folded).toBeGreaterThan(fp16 + 60); // the widened copy (+87 MB) when the Casts fold
  });
});
