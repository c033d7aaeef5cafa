/**
 * The droplab CLI as a child process on a tiny model written to disk: every --json output is one object
 * whose numbers equal what the Engine computes in-process for the same settings (exactly: same runtime,
 * same thread count, same call sequence), drops change perplexity, and each bad input gives its own
 * message and exit status (2 for DropLab errors, 64 for usage errors).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderFiles } from '../../src/cli/node-files';
import { nodeEngine, threads } from '../../src/cli/ort-node';
import type { Engine } from '../../src/engine/engine';
import { TINY_DOCUMENTS } from '../fixtures/tiny-models';
import { writeTinyModel } from '../fixtures/tiny-models-node';
import { asJson, type CliResult, parseOne, runBin, runCli } from './run-cli';

let tmp: string;
let model: string;
let textFile: string;
const SEQ = 16;
const WIN = 5;
const L = 3; // llama-gqa has 3 layers

/** The settings every in-process comparison shares with the CLI call. */
const common = () => [
  '--model',
  model,
  '--text',
  textFile,
  '--seq-len',
  String(SEQ),
  '--windows',
  String(WIN),
  '--threads',
  '1',
];

async function engineFor(batch = 8): Promise<Engine> {
  const e = nodeEngine({ batchWindows: batch, batchSchedule: 'uniform', ...threads(1) }); // batches as the CLI cuts them (session.ts)
  await e.loadModel({ kind: 'local', name: 'tiny' }, folderFiles(model));
  await e.setText(readFileSync(textFile, 'utf8'), { seqLen: SEQ, windows: WIN });
  return e;
}

function expectOk(r: CliResult): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-cli-'));
  model = writeTinyModel('llama-gqa', { dir: join(tmp, 'tiny-llama') }).dir;
  textFile = join(tmp, 'text.txt');
  // Several documents separated by form feeds; long enough for WIN windows of SEQ tokens.
  writeFileSync(textFile, Array.from({ length: 3 }, () => TINY_DOCUMENTS.join('\f')).join('\f'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('droplab --json equals the engine in-process', () => {
  it('analyze: importance, similarity, angular distance, perplexity', async () => {
    const r = await runCli(['analyze', ...common(), '--json']);
    expectOk(r);
    const j = parseOne(r);
    const e = await engineFor();
    try {
      const a = await e.analyze({ attn: [], mlp: [] });
      expect(j.command).toBe('analyze');
      expect(j.perplexity).toBe(a.eval.perplexity);
      expect(j.meanNll).toBe(a.eval.meanNll);
      expect(j.tokens).toBe(WIN * (SEQ - 1));
      expect(j.seqLen).toBe(SEQ);
      expect(j.windows).toBe(WIN);
      expect(j.drop).toEqual({ attn: [], mlp: [] });
      expect(j.importance).toEqual(asJson(a.importance));
      const imp = j.importance as Record<string, number[]>;
      for (const k of ['attn', 'mlp', 'block']) expect(imp[k]).toHaveLength(L);
      expect(j.similarity).toEqual(asJson(a.similarity));
      expect(j.similarity as number[][]).toHaveLength(L + 1);
      for (const row of j.similarity as number[][]) expect(row).toHaveLength(L + 1);
      expect(j.angular).toEqual(asJson(a.angular));
      expect((j.model as { layers: number }).layers).toBe(L);
      expect((j.data as { predictedTokens: number }).predictedTokens).toBe(WIN * (SEQ - 1));
    } finally {
      await e.dispose();
    }
  });

  it('analyze with drops: dropped sublayers are null', async () => {
    const r = await runCli(['analyze', ...common(), '--drop-attn', '1', '--drop-mlp', '0', '--json']);
    expectOk(r);
    const j = parseOne(r);
    const e = await engineFor();
    try {
      const a = await e.analyze({ attn: [1], mlp: [0] });
      expect(j.importance).toEqual(asJson(a.importance));
      expect((j.importance as { attn: unknown[] }).attn[1]).toBeNull();
      expect(j.perplexity).toBe(a.eval.perplexity);
    } finally {
      await e.dispose();
    }
  });

  it('eval: drops change perplexity; --baseline; several chunks (--batch 2)', async () => {
    const r = await runCli([
      'eval',
      ...common(),
      '--drop-attn',
      '0,2',
      '--drop-mlp',
      '1',
      '--baseline',
      '--batch',
      '2',
      '--json',
    ]);
    expectOk(r);
    const j = parseOne(r);
    const e = await engineFor(2);
    try {
      const base = await e.evaluate({ attn: [], mlp: [] });
      const d = await e.evaluate({ attn: [0, 2], mlp: [1] });
      expect(j.command).toBe('eval');
      expect(j.drop).toEqual({ attn: [0, 2], mlp: [1] });
      expect(j.perplexity).toBe(d.perplexity);
      expect(j.meanNll).toBe(d.meanNll);
      expect(j.tokens).toBe(d.tokens);
      expect(j.baseline).toEqual({
        drop: { attn: [], mlp: [] },
        perplexity: base.perplexity,
        meanNll: base.meanNll,
        tokens: base.tokens,
      });
      expect(j.perplexity).not.toBe(base.perplexity);
    } finally {
      await e.dispose();
    }
    // Without drops the CLI gives the baseline; one more drop gives yet another perplexity.
    const plain = parseOne(await runCli(['eval', ...common(), '--batch', '2', '--json']));
    expect(plain.perplexity).toBe((j.baseline as { perplexity: number }).perplexity);
    const one = parseOne(await runCli(['eval', ...common(), '--drop-mlp', '2', '--batch', '2', '--json']));
    expect(one.perplexity).not.toBe(plain.perplexity);
    expect(one.drop).toEqual({ attn: [], mlp: [2] });
  });

  it('plan: iterative joint and one-shot block choose what engine.plan chooses', async () => {
    for (const [target, n, iterative] of [
      ['joint', 3, true],
      ['block', 1, false],
    ] as const) {
      const args = ['plan', ...common(), '--target', target, '--n', String(n), '--json'];
      if (iterative) args.push('--iterative');
      const r = await runCli(args);
      expectOk(r);
      const j = parseOne(r);
      const e = await engineFor();
      try {
        const p = await e.plan({ target, n, iterative, norm: true, base: { attn: [], mlp: [] } });
        const before = await e.evaluate({ attn: [], mlp: [] });
        const after = await e.evaluate(p.drop);
        expect(j.drop).toEqual(p.drop);
        expect(j.steps).toEqual(asJson(p.steps));
        expect(j.perplexity).toBe(after.perplexity);
        expect(j.tokens).toBe(after.tokens);
        expect((j.baseline as { perplexity: number }).perplexity).toBe(before.perplexity);
        expect(j.chosen as unknown[]).toHaveLength(n);
        const dropped = p.drop.attn.length + p.drop.mlp.length;
        expect(dropped).toBe(target === 'block' ? 2 * n : n);
      } finally {
        await e.dispose();
      }
    }
  });
});

describe('droplab human output', () => {
  it('analyze prints the importance table, the similarity matrix and the perplexity with tokens and window', async () => {
    const r = await runCli(['analyze', ...common()]);
    expectOk(r);
    expect(r.stdout).toMatch(/layer\s+attention\s+rank\s+MLP\s+rank\s+block/);
    expect(r.stdout).toMatch(
      new RegExp(`perplexity [\\d.]+ .*over ${WIN * (SEQ - 1)} predicted tokens; ${WIN} windows x ${SEQ} tokens`),
    );
    expect(r.stdout).toMatch(/^x3 +[\d.]+ +[\d.]+ +[\d.]+ +1\.000$/m);
    expect(r.stderr).toBe(''); // no progress line when stderr is not a terminal
  });

  it('plan prints the chosen sublayers and the eval flags of the result', async () => {
    const r = await runCli(['plan', ...common(), '--target', 'attn', '--n', '2']);
    expectOk(r);
    expect(r.stdout).toMatch(/^flags {2}--drop-attn \d,\d$/m);
    expect(r.stdout).toMatch(/perplexity [\d.]+ /);
  });
});

describe('droplab errors: message and exit status', () => {
  const expectError = (r: CliResult, code: number, msg: RegExp) => {
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  };

  it('missing model folder (2)', async () => {
    const r = await runCli(['eval', '--model', join(tmp, 'nope'), '--text', textFile]);
    expectError(r, 2, /model folder .*nope does not exist/);
  });

  it('missing text file names it (2)', async () => {
    const r = await runCli(['eval', '--model', model, '--text', join(tmp, 'missing.txt')]);
    expectError(r, 2, /text file .*missing\.txt does not exist/);
  });

  it('corrupt safetensors (2)', async () => {
    const dir = writeTinyModel('llama-gqa', { dir: join(tmp, 'corrupt') }).dir;
    const st = join(dir, 'model.safetensors');
    writeFileSync(st, readFileSync(st).subarray(0, 2000)); // cut inside the tensor data
    const r = await runCli(['eval', '--model', dir, '--text', textFile, '--seq-len', '16']);
    expectError(r, 2, /model\.safetensors/);
    expect(r.stderr).toMatch(/truncated/i);
  });

  it('unsupported model_type names the supported ones (2)', async () => {
    const dir = writeTinyModel('llama-gqa', { dir: join(tmp, 'bert') }).dir;
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...cfg, model_type: 'bert', architectures: ['BertModel'] }),
    );
    const r = await runCli(['analyze', '--model', dir, '--text', textFile, '--seq-len', '16']);
    expectError(r, 2, /bert/);
    expect(r.stderr).toMatch(/llama/);
  });

  it('text shorter than one window (2)', async () => {
    const short = join(tmp, 'short.txt');
    writeFileSync(short, 'The dog.');
    const r = await runCli(['eval', '--model', model, '--text', short, '--seq-len', '64']);
    expectError(r, 2, /The text has \d+ tokens.*one window needs 64/);
  });

  it('drop index out of range (2)', async () => {
    const r = await runCli(['eval', ...common(), '--drop-attn', '1,7']);
    expectError(r, 2, /attention layer 7: this model has layers 0 to 2/);
  });

  it('planning more than can be dropped (2)', async () => {
    const r = await runCli(['plan', ...common(), '--target', 'mlp', '--n', '4']);
    expectError(r, 2, /Cannot drop 4/);
  });

  it('window longer than the model positions (2)', async () => {
    const r = await runCli(['eval', '--model', model, '--text', textFile, '--seq-len', '4096']);
    expectError(r, 2, /longer than this model's 128 positions/);
  });

  it('usage errors print the usage (64)', async () => {
    const cases: [string[], RegExp][] = [
      [['eval', ...common(), '--bogus'], /Unknown option --bogus/],
      [['eval', '--text', textFile], /Missing --model/],
      [['plan', '--model', model, '--text', textFile, '--n', '2'], /Missing --target/],
      [
        ['eval', '--model', model, '--text', textFile, '--seq-len', 'abc'],
        /--seq-len expects a whole number; got 'abc'/,
      ],
      [['eval', '--model', model, '--text', textFile, '--windows', '0'], /--windows must be at least 1/],
      [['eval', '--model', model, '--text', textFile, '--drop-attn', '1,x'], /--drop-attn expects layer indices/],
      [
        ['plan', '--model', model, '--text', textFile, '--target', 'heads', '--n', '1'],
        /--target must be one of attn, mlp, block, joint/,
      ],
      [['eval', '--model', model, 'extra', '--text', textFile], /Unexpected argument 'extra'/],
      [['eval', '--model'], /--model needs a value/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expectError(r, 64, msg);
      expect(r.stderr).toMatch(new RegExp(`Usage: droplab ${args[0]} `));
    }
  });

  it('unknown command and no command (64); --help (0)', async () => {
    const u = await runCli(['frobnicate']);
    expectError(u, 64, /unknown command 'frobnicate'/);
    expect(u.stderr).toMatch(/Commands:\n {2}analyze/);
    expect((await runCli([])).code).toBe(64);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['analyze', 'eval', 'plan']) expect(h.stdout).toMatch(new RegExp(`^ {2}${c} `, 'm'));
    const ph = await runCli(['plan', '--help']);
    expect(ph.code).toBe(0);
    expect(ph.stdout).toMatch(/--target attn\|mlp\|block\|joint/);
    expect(ph.stdout).toMatch(/--iterative/);
  });
});

describe('the droplab bin', () => {
  it('runs through tsx from another folder, resolving relative paths against it', async () => {
    const h = await runBin(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: droplab <command>/);
    const r = await runBin(
      ['eval', '--model', 'tiny-llama', '--text', 'text.txt', '--seq-len', String(SEQ), '--windows', '2', '--json'],
      tmp,
    );
    expectOk(r);
    expect(parseOne(r).tokens).toBe(2 * (SEQ - 1));
  });
});
