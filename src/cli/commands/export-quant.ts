/**
 * droplab export --quant rtn|gptq|awq --block-size 32|64|128 --calib-text FILE: the q4 weights made by
 * the engine's calibrated quantizers (src/engine/export/calibrated.ts), and the q4 perplexity after the
 * export on held-out windows (the --heldout-windows windows after the calibration ones), beside fp32.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DropConfig, ModelFiles } from '../../engine/api';
import { buildWindows, splitDocuments } from '../../engine/data';
import { planQ4, type Q4Plan, type QuantMethod, splitCalibration } from '../../engine/export/calibrated';
import { buildKvGraph, ONNX_FILE } from '../../engine/export/graph';
import { scoreWindows } from '../../engine/export/perplexity';
import { ConfigError } from '../../engine/errors';
import type { LoadedModel } from '../../engine/model/load';
import { Tokenizer } from '../../engine/tokenizer';
import type { Flags } from '../args';
import type { CliIo } from '../command';
import { ortNode } from '../ort-node';
import { readText } from '../session';

export interface PreparedQ4 {
  plan: Q4Plan;
  heldout: Int32Array | null;
  seqLen: number;
  calibWindows: number;
  planMs: number;
}

export interface MeasuredQ4 {
  method: QuantMethod;
  block: number;
  actOrder: boolean;
  clip: boolean;
  /** AWQ: what the scales were judged on (null for RTN and GPTQ). */
  awqSearch: 'sublayer' | 'linear' | null;
  calibrationWindows: number;
  calibrationTokens: number;
  seqLen: number;
  heldout: { windows: number; tokens: number; fp32Perplexity: number; q4Perplexity: number; gapPercent: number } | null;
  /** Milliseconds: calibration session runs, graph builds, GPTQ Hessian and column loop, AWQ search, quantization, all. */
  timingsMs: Record<string, number>;
  alphas: Record<string, number>;
}

/** Tokenize the calibration text, calibrate and quantize (progress on stderr). */
export async function prepareQ4(
  model: LoadedModel,
  files: ModelFiles,
  flags: Flags,
  io: CliIo,
  o: { quant: QuantMethod; block: number; calibText: string | null; signal: { readonly aborted: boolean } },
): Promise<PreparedQ4> {
  const seqLen = Number(flags['seq-len']);
  const calibN = Number(flags['calib-windows']);
  const heldN = Number(flags['heldout-windows']);
  let calibration: Int32Array | null = null;
  let heldout: Int32Array | null = null;
  if (o.calibText) {
    const tok = await Tokenizer.fromFiles(files, { eosTokenId: model.spec.eosTokenId });
    const eos = tok.eosTokenId ?? model.spec.eosTokenId;
    if (eos === null)
      throw new ConfigError('The model has no end-of-text token to separate calibration documents.', {
        file: 'tokenizer_config.json',
      });
    const w = buildWindows(splitDocuments(readText(o.calibText)), (s) => tok.encode(s), eos, seqLen, calibN + heldN);
    ({ calibration, heldout } = splitCalibration(w.ids, seqLen, w.availableWindows, calibN, heldN));
  }
  const progress = !flags.quiet && io.errIsTTY;
  const t0 = performance.now();
  const plan = await planQ4(
    model.spec,
    model.weights,
    dropOf(flags),
    {
      method: o.quant,
      block: o.block,
      actOrder: Boolean(flags['act-order']),
      clip: !flags['no-clip'],
      awqObjective: flags['awq-search'] === 'linear' ? 'linear' : 'sublayer',
    },
    calibration ? { ort: ortNode, windows: calibration, seqLen } : null,
    {
      signal: o.signal,
      onProgress: progress ? (p) => io.err(`\r\x1b[2K${o.quant} ${p.done}/${p.total} sublayers`) : undefined,
    },
  );
  if (progress) io.err('\r\x1b[2K');
  return { plan, heldout, seqLen, calibWindows: calibration ? calibN : 0, planMs: performance.now() - t0 };
}

function dropOf(flags: Flags): DropConfig {
  return { attn: (flags['drop-attn'] as number[]) ?? [], mlp: (flags['drop-mlp'] as number[]) ?? [] };
}

/** The written q4 file's and the fp32 graph's perplexity on the held-out windows. */
export async function measureQ4(
  model: LoadedModel,
  p: PreparedQ4,
  out: string,
  drop: DropConfig,
  flags: Flags,
): Promise<MeasuredQ4> {
  let heldout: MeasuredQ4['heldout'] = null;
  if (p.heldout) {
    const q4 = new Uint8Array(readFileSync(join(out, ONNX_FILE.q4)));
    const fp32Graph = buildKvGraph(model.spec, model.weights, drop, 'fp32').build();
    const f = await scoreWindows(ortNode, fp32Graph, model.spec, drop, p.heldout, p.seqLen);
    const s = await scoreWindows(ortNode, q4, model.spec, drop, p.heldout, p.seqLen);
    heldout = {
      windows: s.windows,
      tokens: s.tokens,
      fp32Perplexity: f.perplexity,
      q4Perplexity: s.perplexity,
      gapPercent: 100 * (s.perplexity / f.perplexity - 1),
    };
  }
  const t = p.plan.timings;
  return {
    method: p.plan.method,
    block: p.plan.block,
    actOrder: Boolean(flags['act-order']),
    clip: p.plan.method === 'awq' && !flags['no-clip'],
    awqSearch: p.plan.method === 'awq' ? (flags['awq-search'] === 'linear' ? 'linear' : 'sublayer') : null,
    calibrationWindows: p.calibWindows,
    calibrationTokens: p.plan.tokens,
    seqLen: p.seqLen,
    heldout,
    timingsMs: {
      calibration: Math.round(t.calibrationMs),
      calibrationGraphs: Math.round(t.graphMs),
      gptqHessian: Math.round(t.hessianMs),
      gptqColumnLoop: Math.round(t.columnLoopMs),
      awqSearch: Math.round(t.awqSearchMs),
      quantize: Math.round(t.quantizeMs),
      total: Math.round(p.planMs),
    },
    alphas: p.plan.alphas,
  };
}

export function quantLines(m: MeasuredQ4): string[] {
  const lines = [
    `q4       ${m.method}, block ${m.block}${m.calibrationWindows ? `, calibrated on ${m.calibrationWindows} windows of ${m.seqLen} tokens` : ''}; ${Object.entries(
      m.timingsMs,
    )
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}`,
  ];
  if (m.heldout)
    lines.push(
      `         perplexity q4 ${m.heldout.q4Perplexity.toFixed(4)} vs fp32 ${m.heldout.fp32Perplexity.toFixed(4)} (${m.heldout.gapPercent >= 0 ? '+' : ''}${m.heldout.gapPercent.toFixed(2)}%) on ${m.heldout.windows} held-out windows (${m.heldout.tokens} predicted tokens, not the calibration windows)`,
    );
  return lines;
}
