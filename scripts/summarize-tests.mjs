#!/usr/bin/env node
// Reads test-results/vitest.json and test-results/playwright.json and prints, last, exactly one line
// `N passed, N failed` for CI. A result file that is missing, unreadable or holds zero tests counts as
// one failure, a skipped test counts as a failure, and so does a non-zero exit of `npm test` (pass it with --exit-code N) that the result
// files do not explain. If `npm test` failed before any tests ran (typecheck, lint), the line is
// `0 passed, 1 failed`. Exit status: 0 only when nothing failed.
//
// Usage: node scripts/summarize-tests.mjs [--exit-code N] [--dir test-results]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

process.on('uncaughtException', (e) => {
  console.log(`summarize-tests: ${e?.message ?? e}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const exitCode = Number(opt('--exit-code', '0'));
const dir = opt('--dir', 'test-results');

function readJson(file) {
  try {
    return { data: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (e) {
    return { error: e.code === 'ENOENT' ? 'missing' : `unreadable (${e.message})` };
  }
}

/** @returns {{ name: string, ok: boolean, passed: number, failed: number, skipped: number, notes: string[] }} */
function vitest(data) {
  const notes = [];
  let failed = data.numFailedTests ?? 0;
  for (const file of data.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'failed') notes.push(`FAIL ${file.name}: ${a.fullName}`);
    }
    // A file that failed to load or crashed has no failed test of its own: count it once.
    const ownFailures = (file.assertionResults ?? []).filter((a) => a.status === 'failed').length;
    if (file.status === 'failed' && ownFailures === 0) {
      failed++;
      notes.push(`FAIL ${file.name}: ${(file.message || 'suite failed').split('\n')[0]}`);
    }
  }
  const passed = data.numPassedTests ?? 0;
  const skipped = (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
  return { passed, failed, skipped, notes };
}

function playwright(data) {
  const notes = [];
  const s = data.stats ?? {};
  const passed = (s.expected ?? 0) + (s.flaky ?? 0);
  let failed = s.unexpected ?? 0;
  const walk = (suite, trail) => {
    for (const spec of suite.specs ?? []) {
      if (!spec.ok) notes.push(`FAIL ${spec.file ?? ''}: ${[...trail, spec.title].filter(Boolean).join(' > ')}`);
    }
    for (const child of suite.suites ?? []) walk(child, [...trail, child.title]);
  };
  for (const suite of data.suites ?? []) walk(suite, []);
  for (const e of data.errors ?? []) {
    failed++;
    notes.push(`ERROR ${(e.message ?? String(e)).split('\n')[0]}`);
  }
  return { passed, failed, skipped: s.skipped ?? 0, notes };
}

const sources = [
  { name: 'unit (vitest)', file: join(dir, 'vitest.json'), read: vitest },
  { name: 'webgpu-node (vitest)', file: join(dir, 'vitest-webgpu-node.json'), read: vitest },
  { name: 'e2e (playwright)', file: join(dir, 'playwright.json'), read: playwright },
];

let passed = 0;
let failed = 0;
let found = 0;
for (const src of sources) {
  const r = readJson(src.file);
  if (r.error) {
    console.log(`${src.name}: ${src.file} ${r.error}`);
    continue;
  }
  found++;
  let res;
  try {
    res = src.read(r.data);
  } catch (e) {
    console.log(`${src.name}: ${src.file} has an unexpected shape (${e.message})`);
    failed++;
    continue;
  }
  for (const n of res.notes) console.log(`  ${n}`);
  console.log(`${src.name}: ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped`);
  passed += res.passed;
  failed += res.failed + res.skipped; // a test that did not run is not a pass (DEVELOPERS.md: never pass by skipping)
  if (res.passed + res.failed === 0) {
    console.log(`${src.name}: no tests ran`);
    failed++;
  }
}

if (found === 0) {
  // Nothing ran: npm test stopped before the tests (typecheck, lint), or was never started.
  console.log(exitCode !== 0 ? `npm test exited with ${exitCode} before any tests ran` : 'no test results found');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
failed += sources.length - found; // each missing result file
if (exitCode !== 0 && failed === 0) {
  console.log(`npm test exited with ${exitCode} although every recorded test passed`);
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
