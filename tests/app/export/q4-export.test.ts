/**
 * The Export panel's calibrated q4 request through the one engine interface (EngineApi.previewExport /
 * exportZip with a Q4Request, src/engine/model-tasks.ts): the panel's request helper, the preview's
 * windows and estimate, progress per sublayer then bytes then held-out windows, cancel during
 * calibration, the refusals, and the held-out perplexities checked against the live engine (fp32) and
 * a direct scoring of the q4 file found in the zip. Bundled model, onnxruntime-node, short windows.
 */
import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { q4Request, DEFAULT_QUANT } from '../../../src/app/export/export-view';
import { folderFiles } from '../../../src/cli/node-files';
import { nodeEngine, ortNode } from '../../../src/cli/ort-node';
import type { ExportRequest, Progress } from '../../../src/engine/api';
import type { Engine } from '../../../src/engine/engine';
import { CancelledError, type DropLabError, ExportError, TextTooShortError } from '../../../src/engine/errors';
import { ONNX_FILE } from '../../../src/engine/export';
import { scoreWindows } from '../../../src/engine/export/perplexity';

const ROOT = join(__dirname, '../../..');
const DIR = join(ROOT, 'public/models/droplab-byte-12l');
const TEXT = readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8');
const SEQ = 64;
const drop = { attn: [4], mlp: [] };
let engine: Engine;

async function runExport(req: ExportRequest, onProgress?: (p: Progress) => void) {
  const parts: Uint8Array[] = [];
  const summary = await engine.exportZip(req, (chunks) => void parts.push(...chunks), onProgress);
  const zip = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    zip.set(p, o);
    o += p.byteLength;
  }
  return { summary, files: unzipSync(zip) };
}

beforeAll(async () => {
  engine = nodeEngine();
  await engine.loadModel({ kind: 'local', name: 'droplab-byte-12l' }, folderFiles(DIR));
  await engine.setText(TEXT, { seqLen: SEQ, windows: 6 });
}, 60_000);

describe('the panel request helper', () => {
  it('asks for q4 settings only when q4 is exported; the defaults are RTN at block 32', () => {
    expect(DEFAULT_QUANT).toEqual({ method: 'rtn', block: 32, calibWindows: 8, heldoutWindows: 8 });
    expect(q4Request(['fp32'], { ...DEFAULT_QUANT, method: 'gptq' })).toBeUndefined();
    expect(q4Request(['fp32', 'q4'], { ...DEFAULT_QUANT, method: 'awq', block: 64, calibWindows: 3 })).toEqual({
      method: 'awq',
      block: 64,
      calibWindows: 3,
      heldoutWindows: 8,
    });
  });
});

describe('calibrated q4 through EngineApi.exportZip', () => {
  it('previews the windows and an estimate; refuses a short text and a block that does not divide', async () => {
    const p = await engine.previewExport({
      drop,
      formats: ['q4'],
      q4: { method: 'gptq', block: 128, calibWindows: 3, heldoutWindows: 2 },
    });
    expect(p.q4).toMatchObject({ method: 'gptq', block: 128, calibWindows: 3, heldoutWindows: 2, seqLen: SEQ });
    expect(p.q4!.estimateMs.quantize).toBeGreaterThan(0);
    expect(p.q4!.estimateMs.score).toBeGreaterThan(0);
    expect(p.q4!.estimateBasis).toMatch(/bench\/results\/quant\.json/);
    // No q4 request, or q4 not exported: no q4 part.
    expect((await engine.previewExport({ drop, formats: ['q4'] })).q4).toBeUndefined();
    expect(
      (await engine.previewExport({ drop, formats: ['fp32'], q4: { method: 'gptq', block: 32 } })).q4,
    ).toBeUndefined();

    const short = 'Call me Ishmael.';
    const e = nodeEngine();
    await e.loadModel({ kind: 'local', name: 'droplab-byte-12l' }, folderFiles(DIR));
    await e.setText(short, { seqLen: 8, windows: 1 });
    const err = await e.previewExport({ drop, formats: ['q4'], q4: { method: 'awq', block: 32 } }).catch((x) => x);
    expect(err).toBeInstanceOf(TextTooShortError);
    expect((err as Error).message).toMatch(/8 calibration and 8 held-out windows/);
    // RTN needs no calibration: exported, with the reason it will not be measured.
    const rtn = await e.previewExport({ drop, formats: ['q4'], q4: { method: 'rtn', block: 64 } });
    expect(rtn.q4?.unmeasured).toMatch(/8 calibration and 8 held-out windows/);

    const bad = await engine
      .previewExport({ drop, formats: ['q4'], q4: { method: 'gptq', block: 48 } })
      .catch((x) => x as DropLabError);
    expect(bad).toBeInstanceOf(ExportError);
    expect((bad as DropLabError).details).toMatchObject({ reason: 'block-size' });
  }, 60_000);

  it('GPTQ: progress per sublayer, then bytes, then held-out windows; perplexities checked independently', async () => {
    const stages: Progress[] = [];
    const { summary, files } = await runExport(
      {
        drop,
        formats: ['q4'],
        checkpoint: false,
        q4: { method: 'gptq', block: 32, calibWindows: 3, heldoutWindows: 2 },
      },
      (p) => stages.push(p),
    );
    const order = [...new Set(stages.map((s) => s.stage))];
    expect(order).toEqual(['quantize', 'export', 'perplexity']);
    const quant = stages.filter((s) => s.stage === 'quantize');
    expect(quant.map((s) => s.done)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1)); // 24 sublayers, 1 dropped
    expect(quant.every((s) => s.total === 23 && s.unit === 'sublayers')).toBe(true);
    expect(stages.filter((s) => s.stage === 'perplexity').at(-1)).toMatchObject({ done: 4, total: 4 });

    const q = summary.q4!;
    expect(q).toMatchObject({ method: 'gptq', block: 32, calibWindows: 3, calibTokens: 3 * SEQ, seqLen: SEQ });
    expect(q.heldout).toMatchObject({ windows: 2, tokens: 2 * (SEQ - 1) });
    const h = q.heldout!;
    expect(Math.abs(h.q4Perplexity / h.fp32Perplexity - 1)).toBeLessThan(0.05); // 2 short windows: no ordering claimed
    expect(h.q4Perplexity).not.toBe(h.fp32Perplexity);

    // fp32: the live engine's per-token NLL on windows 3 and 4 of the text (the held-out ones).
    const live = await engine.evaluateTokens(drop);
    const per = SEQ - 1;
    let sum = 0;
    for (let i = 3 * per; i < 5 * per; i++) sum += live.nll[i];
    expect(Math.abs(Math.log(h.fp32Perplexity) - sum / (2 * per))).toBeLessThan(1e-5);

    // q4: the file in the zip, scored directly on the same windows.
    const ids = engine.windowIds!.slice(3 * SEQ, 5 * SEQ);
    const direct = await scoreWindows(ortNode, files[ONNX_FILE.q4], engine.model!.spec, drop, ids, SEQ);
    expect(direct.perplexity).toBe(h.q4Perplexity);
  }, 120_000);

  it('RTN at block 32 with a request writes today’s q4 file byte for byte, and measures it', async () => {
    const plain = await runExport({ drop, formats: ['q4'], checkpoint: false });
    const asked = await runExport({
      drop,
      formats: ['q4'],
      checkpoint: false,
      q4: { method: 'rtn', block: 32, calibWindows: 3, heldoutWindows: 2 },
    });
    expect(plain.summary.q4).toBeUndefined();
    expect(asked.files[ONNX_FILE.q4]).toEqual(plain.files[ONNX_FILE.q4]);
    expect(asked.summary.q4).toMatchObject({ method: 'rtn', block: 32, calibWindows: 0, calibTokens: 0 });
    const h = asked.summary.q4!.heldout!;
    expect(Math.abs(h.q4Perplexity / h.fp32Perplexity - 1)).toBeLessThan(0.05);
    expect(h.q4Perplexity).not.toBe(h.fp32Perplexity);

    // 0 held-out windows: exported, not measured, and said so.
    const none = await runExport({
      drop,
      formats: ['q4'],
      checkpoint: false,
      q4: { method: 'rtn', block: 64, calibWindows: 1, heldoutWindows: 0 },
    });
    expect(none.files[ONNX_FILE.q4].byteLength).toBeGreaterThan(0);
    expect(none.summary.q4).toMatchObject({
      block: 64,
      heldout: null,
      note: 'Not scored: 0 held-out windows were asked for.',
    });
    const neg = await engine
      .previewExport({ drop, formats: ['q4'], q4: { method: 'gptq', block: 32, calibWindows: 0 } })
      .catch((x) => x as DropLabError);
    expect((neg as DropLabError).details).toMatchObject({ reason: 'q4-windows' });
    expect((neg as Error).message).toMatch(/calibration windows must be a whole number from 1 to 256; got 0/);
  }, 60_000);

  it("cancel('export') during calibration stops it: CancelledError, nothing sent", async () => {
    let chunks = 0;
    let quantizeSteps = 0;
    const err = await engine
      .exportZip(
        {
          drop,
          formats: ['q4'],
          checkpoint: false,
          q4: { method: 'awq', block: 32, calibWindows: 3, heldoutWindows: 2 },
        },
        () => void chunks++,
        (p) => {
          if (p.stage === 'quantize' && ++quantizeSteps === 2) engine.cancel('export');
        },
      )
      .catch((x) => x);
    expect(err).toBeInstanceOf(CancelledError);
    expect(quantizeSteps).toBeLessThan(5);
    expect(chunks).toBe(0);
  }, 60_000);
});
