/**
 * The workbench's calibrated q4 export (EngineApi.exportZip with a Q4Request; model-tasks.ts calls
 * these): the calibration and held-out windows cut from the engine's current text, the preview's
 * estimate, the plan (calibrated.ts planQ4) and the held-out perplexities of the written q4 file and
 * the fp32 graph (perplexity.ts), as the CLI's `droplab export --quant` reports them.
 *
 * Windows, LLM-Drop style (data.ts buildWindows on the text's documents, at the text's window length):
 * the first calibWindows calibrate, the next heldoutWindows measure. RTN calibrates on nothing, but its
 * held-out windows are the same ones, so methods compare on equal terms.
 */
import type { DataInfo, DropConfig, ModelSpec, ProgressFn, Q4Preview, Q4Request } from '../api';
import { buildWindows } from '../data';
import { ExportError, RuntimeError } from '../errors';
import type { ModelWeights } from '../model/spec';
import type { OrtLike } from '../runtime/ort';
import { checkQuantOptions, planQ4, type Q4Plan, splitCalibration } from './calibrated';
import { buildKvGraph } from './graph';
import { scoreWindows } from './perplexity';
import { estimateQuantTime } from './quant-estimate';

export const DEFAULT_CALIB_WINDOWS = 8;
export const DEFAULT_HELDOUT_WINDOWS = 8;
/** The most windows either count may ask for (calibration statistics are per token; time grows with it). */
export const MAX_Q4_WINDOWS = 256;

/** The engine's current text: its documents and the window length of its settings. */
export interface CurrentText {
  docs: readonly string[];
  info: DataInfo;
}

export interface Q4Windows {
  calibration: Int32Array;
  heldout: Int32Array;
  seqLen: number;
  calibWindows: number;
  heldoutWindows: number;
  availableWindows: number;
}

/** A Q4Request with its defaults, checked (ExportError for a bad method, block or window count). */
export function normalizeQ4Request(spec: ModelSpec, q: Q4Request): Required<Q4Request> {
  const r: Required<Q4Request> = {
    method: q.method,
    block: q.block,
    calibWindows: q.calibWindows ?? DEFAULT_CALIB_WINDOWS,
    heldoutWindows: q.heldoutWindows ?? DEFAULT_HELDOUT_WINDOWS,
    actOrder: Boolean(q.actOrder),
    // AWQ's clipping search is on unless turned off (planQ4's default, AWQ's auto_clip).
    clip: q.clip ?? q.method === 'awq',
  };
  checkQuantOptions(spec, r);
  for (const [what, n, min] of [
    ['calibration', r.calibWindows, 1],
    ['held-out', r.heldoutWindows, 0],
  ] as const)
    if (!Number.isInteger(n) || n < min || n > MAX_Q4_WINDOWS)
      throw new ExportError(
        `The number of ${what} windows must be a whole number from ${min} to ${MAX_Q4_WINDOWS}; got ${n}.`,
        {
          reason: 'q4-windows',
          windows: n,
        },
      );
  return r;
}

/** Cut the calibration and held-out windows from the current text (TextTooShortError when it is short). */
export function q4Windows(
  encode: (s: string) => number[],
  eos: number | null,
  text: CurrentText | null,
  q: Required<Q4Request>,
): Q4Windows {
  if (!text)
    throw new RuntimeError('No text is set: choose the text the q4 export calibrates on and is measured on first.');
  if (eos === null)
    throw new ExportError('The model has no end-of-text token to separate the text’s documents.', { reason: 'no-eos' });
  const seqLen = text.info.seqLen;
  const w = buildWindows(text.docs, encode, eos, seqLen, q.calibWindows + q.heldoutWindows);
  const { calibration, heldout } = splitCalibration(w.ids, seqLen, w.windows, q.calibWindows, q.heldoutWindows);
  return {
    calibration,
    heldout,
    seqLen,
    calibWindows: q.calibWindows,
    heldoutWindows: q.heldoutWindows,
    availableWindows: w.availableWindows,
  };
}

/** The preview's q4 part: windows and the estimated time (quant-estimate.ts). */
export function previewQ4(
  spec: ModelSpec,
  drop: DropConfig,
  q: Required<Q4Request>,
  w: Q4Windows | null,
  unmeasured: string | null = null,
): Q4Preview {
  const seqLen = w?.seqLen ?? 0;
  const est = estimateQuantTime(spec, drop, q.method, q.calibWindows * seqLen, w ? q.heldoutWindows * seqLen : 0);
  return {
    method: q.method,
    block: q.block,
    calibWindows: q.calibWindows,
    heldoutWindows: w ? q.heldoutWindows : 0,
    seqLen,
    availableWindows: w?.availableWindows ?? 0,
    estimateMs: { quantize: Math.round(est.quantizeMs), score: Math.round(est.scoreMs) },
    estimateBasis: est.basis,
    ...(unmeasured ? { unmeasured } : {}),
  };
}

/** True when the request is today's q4 (RTN, block 32): exportModel gets no plan, the bytes stay the same. */
export const isDefaultQ4 = (q: Pick<Q4Request, 'method' | 'block'>): boolean => q.method === 'rtn' && q.block === 32;

export interface Q4Runtime {
  ort: OrtLike;
  executionProviders?: readonly string[];
  signal: { readonly aborted: boolean };
  onProgress?: ProgressFn;
}

/** Calibrate (GPTQ, AWQ) and quantize; progress stage 'quantize', one step per kept sublayer. */
export function planWorkbenchQ4(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  q: Required<Q4Request>,
  w: Q4Windows | null,
  rt: Q4Runtime,
): Promise<Q4Plan> {
  return planQ4(
    spec,
    weights,
    drop,
    { method: q.method, block: q.block, actOrder: q.actOrder, clip: q.clip },
    q.method === 'rtn' || !w
      ? null
      : { ort: rt.ort, executionProviders: rt.executionProviders, windows: w.calibration, seqLen: w.seqLen },
    { onProgress: rt.onProgress, signal: rt.signal },
  );
}

/**
 * Perplexity of the written q4 file and of the fp32 graph on the held-out windows; progress stage
 * 'perplexity', unit 'windows' (fp32 first, then q4). CancelledError between windows.
 */
export async function scoreHeldout(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  q4File: Uint8Array,
  w: Q4Windows,
  rt: Q4Runtime,
): Promise<{ windows: number; tokens: number; fp32Perplexity: number; q4Perplexity: number }> {
  const n = w.heldoutWindows;
  const report = (offset: number) => (done: number) =>
    rt.onProgress?.({ stage: 'perplexity', done: offset + done, total: 2 * n, unit: 'windows' });
  const fp32Graph = buildKvGraph(spec, weights, drop, 'fp32').build();
  const f = await scoreWindows(rt.ort, fp32Graph, spec, drop, w.heldout, w.seqLen, rt.executionProviders, {
    signal: rt.signal,
    onWindow: report(0),
  });
  const s = await scoreWindows(rt.ort, q4File, spec, drop, w.heldout, w.seqLen, rt.executionProviders, {
    signal: rt.signal,
    onWindow: report(n),
  });
  return { windows: s.windows, tokens: s.tokens, fp32Perplexity: f.perplexity, q4Perplexity: s.perplexity };
}
