/**
 * scripts/check-boundaries.mjs on throwaway trees: each rule of docs/ARCHITECTURE.md is broken once and
 * must be reported as file:line with exit code 1; a tree that keeps every rule must pass.
 * (Module specifiers are built by concatenation so that this file itself holds no import of them.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const CHECKER = resolve(__dirname, '../../scripts/check-boundaries.mjs');
const q = (s: string) => `'${s}'`;
const from = (what: string, spec: string) => `import ${what} from ${q(spec)};`;
const ORT_WEB = ['onnxruntime', 'web'].join('-');
const ORT_NODE = ['onnxruntime', 'node'].join('-');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'droplab-boundaries-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, [CHECKER, root], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A tree that follows every rule. */
const clean: Record<string, string> = {
  'src/engine/api.ts': `${from('type { X }', './model/spec')}\nexport type { X };\n`,
  'src/engine/errors.ts': 'export class E extends Error {}\n',
  'src/engine/model/spec.ts': 'export interface X { a: number }\n',
  'src/engine/io/zip.ts': `${from('{ unzipSync }', 'fflate')}\n${from('{ Tokenizer }', '@huggingface/tokenizers')}\nexport { unzipSync, Tokenizer };\n`,
  'src/app/App.tsx': `${from('{ useState }', 'react')}\n${from('type { X }', '../engine/api')}\n${from('{ E }', '../engine/errors.ts')}\n`,
  'src/state/store.ts': `${from('{ create }', 'zustand')}\n${from('type { X }', '../engine/api')}\n`,
  'workers/ort-web.ts': `${from('* as ort', `${ORT_WEB}/webgpu`)}\nexport { ort };\n`,
  'workers/engine.worker.ts': `${from('{ expose }', 'comlink')}\nconst m = await import(${q('./ort-web')});\n`,
  'src/app/wasm.ts': `${from('wasmUrl', `${ORT_WEB}/dist/ort-wasm-simd-threaded.jsep.wasm?url`)}\nexport { wasmUrl };\n`,
  'src/cli/ort-node.ts': `${from('* as ort', ORT_NODE)}\nexport { ort };\n`,
  'src/cli/main.ts': `${from('{ readFileSync }', 'node:fs')}\n${from('{ ort }', './ort-node')}\n`,
  'tests/engine.test.ts': `${from('{ ort }', '../src/cli/ort-node')}\n${from('{ X }', '../src/engine/model/spec')}\n`,
  'src/engine/commented.ts': `// ${from('React', 'react')}\n/* ${from('fs', 'node:fs')} */\nexport const re = /import 'x'/;\n`,
};

describe('check-boundaries', () => {
  it('passes a tree that keeps every boundary', () => {
    const r = check(tree(clean));
    expect(r.out).toContain('no violations');
    expect(r.code).toBe(0);
  });

  it('fails on an engine module that imports the ONNX runtime, and names file:line', () => {
    const r = check(
      tree({
        ...clean,
        'src/engine/onnx/session.ts': `// runtime is injected\n\n${from('* as ort', `${ORT_WEB}/webgpu`)}\n`,
      }),
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/src\/engine\/onnx\/session\.ts:3: engine core imports onnxruntime-web/);
  });

  it.each([
    [
      'Node builtin',
      'src/engine/a.ts',
      `export const p = 1;\n${from('{ readFileSync }', 'node:fs')}`,
      /src\/engine\/a\.ts:2: .*Node builtin/,
    ],
    ['bare builtin', 'src/engine/a.ts', from('path', 'path'), /src\/engine\/a\.ts:1: .*Node builtin/],
    [
      'dynamic import of react',
      'src/engine/a.ts',
      `export async function f() {\n  return import(${q('react')});\n}`,
      /a\.ts:2: engine core imports react/,
    ],
    [
      're-export of transformers.js',
      'src/engine/a.ts',
      `export * from ${q('@huggingface/transformers')};`,
      /a\.ts:1: engine core imports @huggingface\/transformers/,
    ],
    ['comlink', 'src/engine/a.ts', from('* as Comlink', 'comlink'), /a\.ts:1: engine core imports comlink/],
    ['an unlisted package', 'src/engine/a.ts', from('x', 'lodash'), /a\.ts:1: engine core imports lodash/],
    [
      'a worker module',
      'src/engine/a.ts',
      from('x', '../../workers/ort-web'),
      /a\.ts:1: engine core imports outside src\/engine/,
    ],
    [
      'engine internals from the UI',
      'src/app/Table.tsx',
      from('{ build }', '../engine/graphs/block'),
      /Table\.tsx:1: UI code may import from the engine only/,
    ],
    [
      'engine internals from the store',
      'src/state/store.ts',
      from('type { X }', '../engine/model/spec'),
      /store\.ts:1: UI code/,
    ],
    [
      'onnxruntime-web outside workers/ort-web.ts',
      'workers/engine.worker.ts',
      from('* as ort', ORT_WEB),
      /engine\.worker\.ts:1: onnxruntime-web may be imported only by workers\/ort-web\.ts/,
    ],
    [
      'onnxruntime-node in a test',
      'tests/x.test.ts',
      `const ort = require(${q(ORT_NODE)});`,
      /x\.test\.ts:1: onnxruntime-node may be imported only by src\/cli\/ort-node\.ts/,
    ],
  ])('fails on %s', (_name, file, text, pattern) => {
    const r = check(tree({ ...clean, [file]: `${text}\n` }));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(pattern);
  });
});
