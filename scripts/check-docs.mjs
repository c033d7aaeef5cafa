#!/usr/bin/env node
// Keeps the docs true about the tree: every repository path a doc names must exist. Scans README.md and
// docs/*.md for paths in backticks (`src/engine/graphs/blocks.ts`, `tests/cli/`) and for relative
// markdown links ([UI](docs/UI.md#browser-performance)); links that leave the repository are not checked. A path counts when it starts with one of the
// repository's top-level folders (or is a top-level file name with an extension); globs, placeholders
// (<...>, *, {a,b}) and URLs are skipped. Links are resolved from the doc's own folder.
//
// Usage: node scripts/check-docs.mjs [root]   Prints `doc:line: missing path` and exits 1 on any.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const TOP = new Set(['src', 'tests', 'e2e', 'bench', 'scripts', 'docs', 'public', 'workers', 'types', 'bin', '.ci']);
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** A repository path worth checking, or null. */
function candidate(raw) {
  let p = raw
    .trim()
    .replace(/[#?].*$/, '')
    .replace(/:\d+(-\d+)?$/, '');
  if (!p || /[\s<>*{}$|]/.test(p) || /^[a-z]+:/i.test(p) || p.startsWith('-')) return null;
  p = p.replace(/^\.\//, '');
  const first = p.split('/')[0];
  if (TOP.has(first) && p.includes('/')) return p;
  return null;
}

/** A file or folder, or a module named without its extension (`src/engine/api` for api.ts). */
const exists = (p) => ['', '.ts', '.tsx', '.mjs', '.js', '/index.ts'].some((ext) => existsSync(p + ext));

let bad = 0;
for (const doc of docs) {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  let fence = false;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) fence = !fence;
    const found = [];
    if (!fence) for (const m of line.matchAll(/`([^`\n]+)`/g)) found.push([m[1], root]);
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(m[1]) || m[1].startsWith('#')) continue;
      const target = m[1].replace(/#.*$/, '');
      const abs = resolve(root, dirname(doc), target);
      // A link out of the repository (the team's ../shared/ notes) is not the tree's to keep true.
      if (!abs.startsWith(`${root}/`)) continue;
      if (target && !existsSync(abs)) {
        console.log(`${doc}:${i + 1}: link to a missing file: ${m[1]}`);
        bad++;
      }
    }
    for (const [raw, base] of found) {
      const p = candidate(raw);
      if (p && !exists(join(base, p))) {
        console.log(`${doc}:${i + 1}: names a missing path: ${p}`);
        bad++;
      }
    }
  });
}
if (bad) {
  console.log(`${bad} stale path(s) in the docs (${relative(process.cwd(), root) || '.'}).`);
  process.exit(1);
}
console.log(`docs: every path named in ${docs.length} files exists.`);
