/**
 * `droplab export --quant awq` with the AWQ options (src/cli/commands/export.ts, export-quant.ts): the
 * objective and clipping reach the plan and the JSON report; an unknown --awq-search is a usage error.
 * Bundled model, 2 calibration and 2 held-out windows of 32 tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOne, ROOT, runCli } from '../../cli/run-cli';

const tmp = mkdtempSync(join(tmpdir(), 'droplab-quant-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const base = [
  'export',
  '--model',
  join(ROOT, 'public/models/droplab-byte-12l'),
  '--format',
  'q4',
  '--quant',
  'awq',
  '--calib-text',
  join(ROOT, 'public/data/sotu-heldout.txt'),
  '--calib-windows',
  '2',
  '--heldout-windows',
  '2',
  '--seq-len',
  '32',
  '--no-checkpoint',
  '--json',
];

describe('droplab export --quant awq', () => {
  it('--awq-search linear --no-clip: the plan runs without clipping and reports held-out perplexity', async () => {
    const r = await runCli([...base, '--out', join(tmp, 'a'), '--awq-search', 'linear', '--no-clip']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const q = parseOne(r).quant as Record<string, unknown> & {
      heldout: { windows: number; tokens: number; fp32Perplexity: number; q4Perplexity: number };
      alphas: Record<string, number>;
    };
    expect(q).toMatchObject({
      method: 'awq',
      block: 32,
      clip: false,
      awqSearch: 'linear',
      calibrationWindows: 2,
      seqLen: 32,
    });
    expect(q.heldout).toMatchObject({ windows: 2, tokens: 62 });
    expect(Math.abs(q.heldout.q4Perplexity / q.heldout.fp32Perplexity - 1)).toBeLessThan(0.05);
    expect(Object.keys(q.alphas)).toHaveLength(48); // 12 layers x (q/k/v, o, gate/up, down)
  }, 180_000);

  it('an unknown --awq-search is a usage error naming the choices', async () => {
    const r = await runCli([...base, '--out', join(tmp, 'b'), '--awq-search', 'global']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--awq-search must be one of sublayer, linear/);
  }, 60_000);
});
