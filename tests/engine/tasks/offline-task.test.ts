/**
 * The offline task shipped with DropLab (public/tasks/word-completion.jsonl, issue 14): its build is
 * deterministic and the committed file is what the script builds; it parses as a JSONL task; the
 * bundled model scores clearly above chance (4 choices: 25%) on a seeded subsample.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import { nodeEngine, threads } from '../../../src/cli/ort-node';
import { parseTaskJsonl } from '../../../src/engine/tasks/jsonl';
// @ts-expect-error: a plain Node script without types
import { buildItems, OUT, render } from '../../../scripts/tasks/build-offline-task.mjs';

const BUNDLED = new URL('../../../public/models/droplab-byte-12l', import.meta.url).pathname;

describe('offline task: word completion in context', () => {
  it('builds the same items twice, and the committed file is that build', () => {
    const a = render(buildItems());
    const b = render(buildItems());
    expect(a).toBe(b);
    expect(readFileSync(OUT, 'utf8')).toBe(a);
  });

  it('is a valid JSONL task: 300 items of 4 choices, gold positions spread over all four', () => {
    const task = parseTaskJsonl(readFileSync(OUT, 'utf8'), 'word-completion');
    expect(task.items).toHaveLength(300);
    const golds = [0, 0, 0, 0];
    for (const it of task.items) {
      expect(it.choices).toHaveLength(4);
      expect(new Set(it.choices).size).toBe(4);
      golds[it.gold]++;
    }
    for (const g of golds) expect(g).toBeGreaterThan(40);
  });

  it('the bundled model scores clearly above chance on a seeded subsample of 80 items', async () => {
    const engine = nodeEngine({ ...threads(1) });
    try {
      await engine.loadModel({ kind: 'bundled', name: 'droplab-byte-12l' }, folderFiles(BUNDLED));
      const task = parseTaskJsonl(readFileSync(OUT, 'utf8'), 'word-completion');
      const r = await engine.scoreTask(task, { attn: [], mlp: [] }, { limit: 80, seed: 7 });
      expect(r.selection).toEqual({ mode: 'sample', total: 300, n: 80, seed: 7 });
      expect(r.truncated).toBe(0);
      // Chance is 0.25; 0.5 is more than 5 standard errors above it.
      expect(r.acc).toBeGreaterThan(0.5);
      expect(r.accNorm ?? 0).toBeGreaterThan(0.5);
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
