/**
 * Issue 9's CLI probe as a table: every bad input runs the droplab CLI as a child process and must end
 * with its own exit status (2 bad input, 64 usage, 130 cancelled; never 1 "unexpected error") and a
 * message naming what is wrong, with no stack trace and nothing on stdout. Cases with side effects
 * (the model folder must survive an export) check the files afterwards.
 */
import {
  mkdirSync,
  utimesSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DOCUMENTS, tinyModel } from '../fixtures/tiny-models';
import { writeModelFolder, writeTinyModel } from '../fixtures/tiny-models-node';
import { type Mutation, mutatedModel } from '../support/mutate-model';
import { type CliResult, runCli } from './run-cli';

let tmp: string;
let model: string;
let text: string;
/** A fresh copy of the tiny model in its own parent folder (for cases that may damage it). */
const freshModel = (name: string) => {
  const parent = join(tmp, name);
  return { parent, dir: writeTinyModel('llama-gqa', { dir: join(parent, 'model') }).dir };
};
/** name -> bytes of every file under dir, to prove a folder untouched. */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[rel + e.name] = readFileSync(join(d, e.name)).toString('base64');
    }
  };
  walk(dir, '');
  return out;
};

/** A tiny llama-gqa with `m` applied, written under tmp/name. */
const mutated = (name: string, m: Mutation) => writeModelFolder(join(tmp, name), mutatedModel('llama-gqa', m).fileMap);
const NAN_WEIGHT: Mutation = {
  tensors: { 'model.layers.1.mlp.down_proj.weight': (d) => d.fill(Number.NaN, 3, 3 + 1) },
};
const OVERFLOW: Mutation = {
  tensors: { 'model.layers.1.post_attention_layernorm.weight': (d) => d.fill(3.4028234663852886e38) },
};
/** Nothing at `out`, and no "<out>.partial-*" beside it. */
const nothingAt = (out: string) => {
  expect(readdirSync(join(out, '..')).filter((n) => n === basename(out) || n.startsWith(`${basename(out)}.`))).toEqual(
    [],
  );
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-bad-'));
  model = writeTinyModel('llama-gqa', { dir: join(tmp, 'tiny') }).dir;
  text = join(tmp, 'text.txt');
  writeFileSync(text, Array.from({ length: 3 }, () => TINY_DOCUMENTS.join('\f')).join('\f'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Case {
  name: string;
  /** Returns the argv (after prepare). */
  args: () => string[] | Promise<string[]>;
  code: number;
  msg: RegExp;
  /** Extra checks after the run. */
  after?: (r: CliResult) => void;
}

function expectRefused(r: CliResult, c: Case): void {
  expect(r.code, `${c.name}\n${r.stderr}`).toBe(c.code);
  expect(r.stderr, c.name).toMatch(c.msg);
  expect(r.stderr, c.name).not.toMatch(/unexpected error|\n\s+at /);
  expect(r.stdout, c.name).toBe('');
}

/** Export cases whose model folder must come out byte for byte the same. */
function modelSafe(
  name: string,
  out: (m: { parent: string; dir: string }) => string,
  extra: string[],
  msg: RegExp,
): Case {
  let m: { parent: string; dir: string };
  let before: Record<string, string>;
  let parentBefore: string[];
  return {
    name,
    args: () => {
      m = freshModel(name.replace(/\W+/g, '-'));
      writeFileSync(join(m.parent, 'unrelated.txt'), 'keep me');
      const o = out(m);
      before = snapshot(m.dir);
      parentBefore = readdirSync(m.parent).sort();
      return ['export', '--model', m.dir, '--out', o, ...extra];
    },
    code: 2,
    msg,
    after: () => {
      expect(snapshot(m.dir), name).toEqual(before);
      expect(readdirSync(m.parent).sort(), name).toEqual(parentBefore);
      expect(readFileSync(join(m.parent, 'unrelated.txt'), 'utf8')).toBe('keep me');
    },
  };
}

const evalArgs = (dir: string, cmd = 'eval') => [
  cmd,
  '--model',
  dir,
  '--text',
  text,
  '--seq-len',
  '12',
  '--windows',
  '2',
  '--threads',
  '1',
];

const CASES: Case[] = [
  // 11. messages in words, not JavaScript's
  {
    name: 'rope_theta: 1e400',
    args: () => {
      const dir = mutated('rope-1e400', {});
      const cfg = readFileSync(join(dir, 'config.json'), 'utf8').replace(/}\s*$/, ', "rope_theta": 1e400}');
      writeFileSync(join(dir, 'config.json'), cfg);
      return evalArgs(dir);
    },
    code: 2,
    msg: /rope_theta must be a positive number, got a number too large to represent/,
  },
  {
    name: 'tokenizer.json without a vocabulary',
    args: () => {
      const tj = structuredClone(tinyModel('llama-gqa').tokenizer.tokenizerJson) as { model: Record<string, unknown> };
      delete tj.model.vocab;
      return evalArgs(mutated('tok-no-vocab', { files: { 'tokenizer.json': tj } }));
    },
    code: 2,
    msg: /tokenizer\.json is not a valid tokenizer file: "model\.vocab" is missing/,
  },
  // 4. token ids vs vocab_size (and 11: eos_token_id past the vocabulary)
  {
    name: 'tokenizer ids past vocab_size',
    args: () => {
      const t = tinyModel('llama-gqa');
      const tj = structuredClone(t.tokenizer.tokenizerJson) as { added_tokens?: unknown[] };
      const id = (t.config.vocab_size as number) + 3;
      tj.added_tokens = [
        ...(tj.added_tokens ?? []),
        { id, content: '<|x|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      ];
      return evalArgs(mutated('tok-past-vocab', { files: { 'tokenizer.json': tj } }));
    },
    code: 2,
    msg: /tokenizer\.json has token ids up to \d+, but config\.json's vocab_size is \d+/,
  },
  {
    name: 'eos_token_id past the vocabulary',
    args: () => evalArgs(mutated('eos-past', { config: { eos_token_id: 100000 } })),
    code: 2,
    msg: /eos_token_id 100000 is past the vocabulary/,
  },
  {
    name: 'export: eos_token_id past the vocabulary',
    args: () => [
      'export',
      '--model',
      mutated('eos-past-export', { config: { eos_token_id: [100000] } }),
      '--out',
      join(tmp, 'eos-out'),
    ],
    code: 2,
    msg: /eos_token_id 100000 is past the vocabulary/,
    after: () => nothingAt(join(tmp, 'eos-out')),
  },
  // 6. numeric arguments
  {
    name: '--threads 100000',
    args: () => [...evalArgs(model).slice(0, -2), '--threads', '100000'],
    code: 64,
    msg: /--threads must be at most 1024; got 100000/,
  },
  {
    name: '--threads past the cores',
    args: () => [...evalArgs(model).slice(0, -2), '--threads', String(availableParallelism() + 1)],
    code: 64,
    msg: /more than this machine's \d+ cores.*--force-threads/,
  },
  {
    name: '--drop-attn 0-4000000000',
    args: () => [...evalArgs(model), '--drop-attn', '0-4000000000'],
    code: 64,
    msg: /--drop-attn: 0-4000000000 names layer 4000000000; no model has more than 4096 layers/,
  },
  {
    name: '--drop-mlp 99999999999999999999',
    args: () => [...evalArgs(model), '--drop-mlp', '99999999999999999999'],
    code: 64,
    msg: /no model has more than 4096 layers/,
  },
  {
    name: '--seq-len 10^15',
    args: () => ['eval', '--model', model, '--text', text, '--seq-len=1000000000000000'],
    code: 64,
    msg: /--seq-len must be at most 1048576/,
  },
  {
    name: '--windows 10^9',
    args: () => ['eval', '--model', model, '--text', text, '--windows', '1000000000'],
    code: 64,
    msg: /--windows must be at most 1048576/,
  },
  {
    name: '--batch 10^6',
    args: () => ['eval', '--model', model, '--text', text, '--batch', '1000000'],
    code: 64,
    msg: /--batch must be at most 4096/,
  },
  {
    name: 'plan --n 10^9',
    args: () => ['plan', '--model', model, '--text', text, '--target', 'attn', '--n', '1000000000'],
    code: 64,
    msg: /--n must be at most 8192/,
  },
  // 3. config sizes
  {
    name: 'num_hidden_layers: 1000000000',
    args: () => evalArgs(mutated('layers-1e9', { config: { num_hidden_layers: 1_000_000_000 } })),
    code: 2,
    msg: /num_hidden_layers is 1000000000, more than DropLab accepts/,
  },
  {
    name: 'num_hidden_layers past the checkpoint',
    args: () => evalArgs(mutated('layers-4000', { config: { num_hidden_layers: 4000 } })),
    code: 2,
    msg: /says the model has 4000 layers, but the checkpoint has tensors for 3/,
  },
  // 7. export: file-system cases (errno errors injected in-process: tests/cli/export-fs.test.ts)
  {
    name: 'export --out under /proc',
    args: () => ['export', '--model', model, '--out', '/proc/droplab-out'],
    code: 2,
    msg: /special file system \(proc\)/,
  },
  {
    name: 'export --out under /sys',
    args: () => ['export', '--model', model, '--out', '/sys/droplab/out'],
    code: 2,
    msg: /special file system \(sys/,
  },
  {
    name: 'export --out below a file',
    args: () => {
      writeFileSync(join(tmp, 'a-file'), 'x');
      return ['export', '--model', model, '--out', join(tmp, 'a-file', 'out')];
    },
    code: 2,
    msg: /a-file is a file, not a folder/,
  },
  {
    name: 'export --out an existing file, --overwrite',
    args: () => {
      writeFileSync(join(tmp, 'b-file'), 'keep');
      return ['export', '--model', model, '--out', join(tmp, 'b-file'), '--overwrite'];
    },
    code: 2,
    msg: /b-file exists and is not a folder/,
    after: () => expect(readFileSync(join(tmp, 'b-file'), 'utf8')).toBe('keep'),
  },
  // 2. NaN / infinity
  {
    name: 'eval: NaN in a weight',
    args: () => evalArgs(mutated('nan-eval', NAN_WEIGHT)),
    code: 2,
    msg: /tensor "model\.layers\.1\.mlp\.down_proj\.weight" \(F32\) holds 1 NaN value/,
  },
  {
    name: 'analyze --json: NaN in a weight',
    args: () => [...evalArgs(mutated('nan-analyze', NAN_WEIGHT), 'analyze'), '--json'],
    code: 2,
    msg: /holds 1 NaN value/,
  },
  {
    name: 'plan: NaN in a weight',
    args: () => [...evalArgs(mutated('nan-plan', NAN_WEIGHT), 'plan'), '--target', 'attn', '--n', '1'],
    code: 2,
    msg: /holds 1 NaN value/,
  },
  {
    name: 'export: NaN in a weight leaves nothing',
    args: () => ['export', '--model', mutated('nan-export', NAN_WEIGHT), '--out', join(tmp, 'nan-out')],
    code: 2,
    msg: /holds 1 NaN value/,
    after: () => nothingAt(join(tmp, 'nan-out')),
  },
  {
    name: 'eval: activations overflow float32',
    args: () => evalArgs(mutated('overflow', OVERFLOW)),
    code: 2,
    msg: /loss is (NaN|infinite).*after MLP 1 \(layer 1\)/,
  },

  // 1. export --out overlapping the model folder (with and without --overwrite)
  modelSafe('out = model, --overwrite', (m) => m.dir, ['--overwrite'], /is the model folder/),
  modelSafe('out = model with a trailing slash', (m) => `${m.dir}/`, ['--overwrite'], /is the model folder/),
  modelSafe('out = parent of model, --overwrite', (m) => m.parent, ['--overwrite'], /contains the model folder/),
  modelSafe(
    'out inside model (does not exist yet)',
    (m) => join(m.dir, 'sub', 'out'),
    [],
    /lies inside the model folder/,
  ),
  modelSafe(
    'out = a symlink to the model, --overwrite',
    (m) => {
      symlinkSync(m.dir, join(m.parent, 'link'));
      return join(m.parent, 'link');
    },
    ['--overwrite'],
    /is the model folder .*as real paths/,
  ),
  {
    name: '--overwrite of a folder that is not an export',
    args: () => {
      const d = join(tmp, 'not-export');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'thesis.tex'), 'precious');
      return ['export', '--model', model, '--out', d, '--overwrite'];
    },
    code: 2,
    msg: /does not hold an earlier export/,
    after: () => expect(readFileSync(join(tmp, 'not-export', 'thesis.tex'), 'utf8')).toBe('precious'),
  },
];

describe.concurrent('droplab bad inputs: exit status and message', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const r = await runCli(await c.args());
      expectRefused(r, c);
      c.after?.(r);
    });
  }
});

describe('droplab export cleans what interrupted exports left', () => {
  it('removes stale "<out>.partial-*" folders of ours, keeps a live process\'s and other names', async () => {
    const parent = join(tmp, 'stale');
    const old = new Date(Date.now() - 3600_000);
    const mk = (name: string) => {
      mkdirSync(join(parent, name, 'onnx'), { recursive: true });
      writeFileSync(join(parent, name, 'onnx', 'model.onnx'), 'half');
      utimesSync(join(parent, name), old, old);
    };
    const stale = ['out.partial-k3j9x2ab', 'out.partial-999999999-ab12cd'];
    const kept = [`out.partial-${process.pid}-zz99yy`, 'other.partial-k3j9x2ab', 'out.partial-notours!'];
    for (const n of [...stale, ...kept]) mk(n);
    const r = await runCli(['export', '--model', model, '--out', join(parent, 'out'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const n of stale) expect(r.stderr).toContain(`removed ${join(parent, n)}, left by an interrupted export`);
    expect(readdirSync(parent).sort()).toEqual(['out', ...kept].sort());
  });
});
