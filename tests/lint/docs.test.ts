/**
 * scripts/check-docs.mjs: a doc that names a missing repository path (in backticks or as a relative
 * link) fails with doc:line; paths that exist, modules named without extension, URLs and placeholders
 * pass; and the repository's own docs pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const CHECKER = resolve(__dirname, '../../scripts/check-docs.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'droplab-docs-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const check = (root: string) => {
  const r = spawnSync(process.execPath, [CHECKER, root], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout };
};

describe('check-docs', () => {
  it('reports each missing path with its doc and line', () => {
    const root = tree({
      'README.md': 'Intro\nThe block is in `src/engine/graphs/block.ts`.\n',
      'docs/UI.md': '# UI\n\nSee [export](EXPORT.md#top) and `tests/app/`.\n',
      'src/engine/graphs/blocks.ts': '',
    });
    const r = check(root);
    expect(r.code).toBe(1);
    expect(r.out).toContain('README.md:2: names a missing path: src/engine/graphs/block.ts');
    expect(r.out).toContain('docs/UI.md:3: link to a missing file: EXPORT.md#top');
    expect(r.out).toContain('docs/UI.md:3: names a missing path: tests/app/');
  });

  it('passes paths that exist, modules without extension, URLs, placeholders and code fences', () => {
    const root = tree({
      'README.md': [
        '`src/engine/api` and `src/engine/graphs/blocks.ts:12` and [ui](docs/UI.md#x) and [design](../shared/DESIGN.md)',
        '`https://example.org/src/x.ts`, `tests/<name>.test.ts`, `src/**/*.ts`, `--model DIR`',
        '```sh',
        'cat src/not/here.ts `src/in/fence.ts`',
        '```',
      ].join('\n'),
      'docs/UI.md': 'ok',
      'src/engine/api.ts': '',
      'src/engine/graphs/blocks.ts': '',
    });
    const r = check(root);
    expect(r.out).not.toContain('missing');
    expect(r.code).toBe(0);
  });

  it("the repository's own README and docs name only paths that exist", () => {
    const r = check(resolve(__dirname, '../..'));
    expect(r.out).toMatch(/every path named/);
    expect(r.code).toBe(0);
  });
});
