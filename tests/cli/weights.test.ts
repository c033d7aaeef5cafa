/**
 * droplab --weights (issue 13): the precision reaches the engine, the JSON says which one ran
 * (model.weights), the table header names it, and a value that is not a precision is a usage error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderFiles } from '../../src/cli/node-files';
import { nodeEngine, threads } from '../../src/cli/ort-node';
import { TINY_DOCUMENTS } from '../fixtures/tiny-models';
import { writeTinyModel } from '../fixtures/tiny-models-node';
import { parseOne, runCli } from './run-cli';

let tmp: string;
let model: string;
let textFile: string;
const common = () => ['--model', model, '--text', textFile, '--seq-len', '16', '--windows', '4', '--threads', '1'];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-weights-'));
  model = writeTinyModel('llama-gqa', { dir: join(tmp, 'tiny-llama') }).dir;
  textFile = join(tmp, 'text.txt');
  writeFileSync(textFile, Array.from({ length: 3 }, () => TINY_DOCUMENTS.join('\f')).join('\f'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('droplab --weights', () => {
  it('eval --weights q8 --json: "weights": "q8" and the engine-in-process q8 perplexity (not fp32\'s)', async () => {
    const r = await runCli(['eval', ...common(), '--weights', 'q8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = parseOne(r) as { model: { weights: string }; perplexity: number };
    expect(j.model.weights).toBe('q8');
    const run = async (weights: 'fp32' | 'q8') => {
      const e = nodeEngine({ weights, ...threads(1) });
      await e.loadModel({ kind: 'local', name: 'tiny' }, folderFiles(model));
      await e.setText(readFileSync(textFile, 'utf8'), { seqLen: 16, windows: 4 });
      const p = (await e.evaluate({ attn: [], mlp: [] })).perplexity;
      await e.dispose();
      return p;
    };
    expect(j.perplexity).toBe(await run('q8'));
    expect(j.perplexity).not.toBe(await run('fp32'));
  });

  it('the default is fp32, named in the table header', async () => {
    const r = await runCli(['eval', ...common()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fp32 weights)');
  });

  it('--weights q3 is a usage error naming the choices', async () => {
    const r = await runCli(['eval', ...common(), '--weights', 'q3']);
    expect(r.code).toBe(64); // EX_USAGE, as every usage error of the CLI
    expect(r.stderr).toContain('fp32');
    expect(r.stderr).toContain('q4');
  });
});
