/**
 * `--out FILE` and `--device` on the CLI: the results file names its format and version, the model, the
 * text and the settings, holds exactly what --json prints, and reads back through the workbench's
 * importer (parseResultsFile) with the engine's numbers. Bad devices and bad --out paths are refused.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCudaProvider } from '../../src/cli/ort-node';
import { RESULTS_FORMAT, RESULTS_VERSION, parseResultsFile } from '../../src/engine/results/results-file';
import { TINY_DOCUMENTS } from '../fixtures/tiny-models';
import { writeTinyModel } from '../fixtures/tiny-models-node';
import { type CliResult, parseOne, runCli } from './run-cli';

let tmp: string;
let model: string;
let textFile: string;
const args = () => ['--model', model, '--text', textFile, '--seq-len', '16', '--windows', '3', '--threads', '1'];

function expectOk(r: CliResult): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-out-'));
  model = writeTinyModel('llama-gqa', { dir: join(tmp, 'tiny-llama') }).dir;
  textFile = join(tmp, 'text.txt');
  writeFileSync(textFile, Array.from({ length: 3 }, () => TINY_DOCUMENTS.join('\f')).join('\f'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('droplab analyze --out FILE', () => {
  it('writes what --json prints, with format, version, model id, text and settings; the importer reads it back', async () => {
    const out = join(tmp, 'results.json');
    const [toFile, toStdout] = await Promise.all([
      runCli(['analyze', ...args(), '--drop-attn', '1', '--out', out]),
      runCli(['analyze', ...args(), '--drop-attn', '1', '--json']),
    ]);
    expectOk(toFile);
    expectOk(toStdout);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr).toContain(`wrote ${out}`);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j).toEqual(parseOne(toStdout));
    expect(j.format).toBe(RESULTS_FORMAT);
    expect(j.version).toBe(RESULTS_VERSION);
    expect(j.command).toBe('analyze');
    expect(j.model.id).toBe('tiny-llama');
    expect(j.model.backend).toMatch(/onnxruntime-node .*\(CPU\)/);
    expect(j.text.name).toBe('text.txt');
    expect(j.settings).toEqual({ seqLen: 16, windows: 3, batch: 8, device: 'cpu' });

    const r = parseResultsFile(readFileSync(out, 'utf8'), 'results.json');
    expect(r.model).toBe('tiny-llama');
    expect(r.layers).toBe(3);
    expect(r.drop).toEqual({ attn: [1], mlp: [] });
    expect(Number.isNaN(r.importance.attn[1])).toBe(true);
    for (const k of ['attn', 'mlp', 'block'] as const)
      (j.importance[k] as (number | null)[]).forEach((v, i) => {
        if (v === null) expect(Number.isNaN(r.importance[k]?.[i])).toBe(true);
        else expect(r.importance[k]?.[i]).toBe(v);
      });
    expect(r.similarity).toEqual(j.similarity);
    expect(r.perplexity).toEqual({ value: j.perplexity, tokens: j.tokens, seqLen: 16, windows: 3 });
    expect(r.text).toBe('text.txt');
  });

  it('an eval result is refused by the importer: it has no importance scores', async () => {
    const out = join(tmp, 'eval.json');
    expectOk(await runCli(['eval', ...args(), '--out', out]));
    expect(() => parseResultsFile(readFileSync(out, 'utf8'), 'eval.json')).toThrow(/no "importance"/);
  });

  it('--out naming a folder is an error (2), and nothing is written', async () => {
    const dir = join(tmp, 'a-folder');
    mkdirSync(dir);
    const r = await runCli(['analyze', ...args(), '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a folder or a special file/);
  });
});

describe('droplab --device', () => {
  it('an unknown device is a usage error (64)', async () => {
    const r = await runCli(['analyze', ...args(), '--device', 'tpu']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--device must be one of cpu, webgpu, cuda/);
  });

  it('cuda without the CUDA provider says so and what to use instead (2)', async () => {
    // This project's install turns off onnxruntime-node's script that fetches the CUDA libraries.
    expect(hasCudaProvider()).toBe(false);
    const r = await runCli(['analyze', ...args(), '--device', 'cuda']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--device cuda: this onnxruntime-node .* has no CUDA provider/);
    expect(r.stderr).toMatch(/--device webgpu/);
  });
});
