/**
 * `droplab analyze --device webgpu`: onnxruntime-node's WebGPU EP (SwiftShader here; a real GPU on a
 * server) gives the CPU's results: importance, similarity and perplexity to float32 rounding. Part of
 * `npm run test:webgpu-node`, whose environment (VK_ICD_FILENAMES, LD_LIBRARY_PATH) the CLI child inherits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DOCUMENTS } from '../fixtures/tiny-models';
import { writeTinyModel } from '../fixtures/tiny-models-node';
import { parseOne, runCli } from '../cli/run-cli';

let tmp: string;
let model: string;
let textFile: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-device-'));
  model = writeTinyModel('llama-gqa', { dir: join(tmp, 'tiny-llama') }).dir;
  textFile = join(tmp, 'text.txt');
  writeFileSync(textFile, Array.from({ length: 3 }, () => TINY_DOCUMENTS.join('\f')).join('\f'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const maxDiff = (a: (number | null)[], b: (number | null)[]) =>
  Math.max(
    ...a.map((x, i) =>
      x === null || b[i] === null ? (x === b[i] ? 0 : Number.POSITIVE_INFINITY) : Math.abs(x - (b[i] as number)),
    ),
  );

describe('droplab analyze --device webgpu = --device cpu', () => {
  it('importance, similarity and perplexity agree; model.backend names the provider', async () => {
    const args = [
      'analyze',
      '--model',
      model,
      '--text',
      textFile,
      '--seq-len',
      '16',
      '--windows',
      '3',
      '--drop-mlp',
      '2',
      '--json',
    ];
    const cpu = parseOne(await runCli([...args, '--device', 'cpu']));
    const gpuRun = await runCli([...args, '--device', 'webgpu']);
    if (gpuRun.code !== 0) throw new Error(`exit ${gpuRun.code}: ${gpuRun.stderr}`);
    const gpu = parseOne(gpuRun);
    expect((gpu.model as { backend: string }).backend).toMatch(/\(WebGPU\)/);
    expect((gpu.settings as { device: string }).device).toBe('webgpu');
    const ic = cpu.importance as Record<string, (number | null)[]>;
    const ig = gpu.importance as Record<string, (number | null)[]>;
    for (const k of ['attn', 'mlp', 'block', 'attnNoNorm', 'mlpNoNorm'])
      expect(maxDiff(ig[k], ic[k])).toBeLessThan(1e-5);
    expect(ig.mlp[2]).toBeNull();
    const sc = (cpu.similarity as number[][]).flat();
    const sg = (gpu.similarity as number[][]).flat();
    expect(maxDiff(sg, sc)).toBeLessThan(1e-5);
    expect(Math.abs((gpu.meanNll as number) - (cpu.meanNll as number))).toBeLessThan(1e-5);
  }, 120_000);
});
