/** droplab export as a child process: the folder it writes, the drop lists read back, and its errors. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDropConfig } from '../../src/engine/export';
import { writeTinyModel } from '../fixtures/tiny-models-node';
import { parseOne, runCli } from './run-cli';

describe('droplab export', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'droplab-cli-export-'));
  const { dir } = writeTinyModel('llama-gqa', { dir: join(tmp, 'model') });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes a transformers.js folder with the formats asked for and the LLM-Drop lists', async () => {
    const out = join(tmp, 'out');
    const r = await runCli([
      'export',
      '--model',
      dir,
      '--drop-attn',
      '1',
      '--drop-mlp',
      '0,2',
      '--format',
      'fp32,q4',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = parseOne(r) as { files: { path: string; size: number }[]; drop: unknown; llmDropLoadable: boolean };
    expect(j.drop).toEqual({ attn: [1], mlp: [0, 2] });
    expect(j.llmDropLoadable).toBe(true);
    for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'onnx/model_q4.onnx', 'model.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'onnx/model_fp16.onnx'))).toBe(false);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(readDropConfig(config)).toEqual({ attn: [1], mlp: [0, 2] });
    expect(config.auto_map.AutoModelForCausalLM).toMatch(/modeling_dropped_llama/);
  });

  it('refuses an unknown format (usage, 64), an existing folder and every layer dropped (2), leaving nothing', async () => {
    const bad = await runCli(['export', '--model', dir, '--format', 'q5', '--out', join(tmp, 'q5')]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/Unknown --format "q5"/);
    expect(existsSync(join(tmp, 'q5'))).toBe(false);
    const again = await runCli(['export', '--model', dir, '--out', join(tmp, 'out')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const all = await runCli([
      'export',
      '--model',
      dir,
      '--drop-attn',
      '0-2',
      '--drop-mlp',
      '0-2',
      '--out',
      join(tmp, 'all'),
    ]);
    expect(all.code).toBe(2);
    expect(existsSync(join(tmp, 'all'))).toBe(false);
  });
});
