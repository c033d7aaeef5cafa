/**
 * Admission before download (issue 13 item 4): from config.json alone (the ModelSpec), the memory the
 * live engine needs at each weight precision, against the device's limits, and which precisions fit.
 * Nothing here reads a weight; the worker and the CLI call it before any weight file is fetched.
 *
 * Peak = weights at the precision + runtime overhead + the largest of
 *   loading:  one layer in flight (its float32 decode, the converted graph, the runtime's copy),
 *   head:     the LM head's graph being built (its chunks' rows and graph bytes),
 *   analysis: the cached boundary states (2L+1 states of every window, float32) + the larger of one
 *             sublayer's activations for one batch of windows (attention scores, MLP width) with one
 *             head chunk's logits, and the similarity (gram) graph's copies of the L+1 block states.
 * Weights: linears at the precision's bytes per parameter (q8 1.125, q4 0.625: one float32 scale per 32
 * weights) and the head [V, d] float32 (fp32), float16 (fp16) or 8-bit (q8, q4). The embedding table
 * is held by no session: x_0 is gathered from its rows in TypeScript (embed-rows.ts).
 * The largest single buffer (a WebGPU adapter's maxBufferSize / maxStorageBufferBindingSize) is the
 * largest of one matrix and one head chunk at the precision and the attention scores of one batch.
 */
import type { WeightPrecision } from '../api';
import { ModelTooLargeError, SettingsError } from '../errors';
import { DEFAULT_VOCAB_CHUNK } from '../graphs/chunked-head';
import { MATRIX_BYTES_PER_PARAM, WEIGHT_PRECISIONS } from '../weight-precisions';
import { formatBytes } from './checkpoint';
import { parameterCounts } from './families';
import type { ModelSpec } from './spec';

export const GiB = 2 ** 30;
/** What onnxruntime-web's wasm32 build can address (no Memory64 build ships). */
export const WASM32_BYTES = 4 * GiB;
/**
 * The process, the runtime's code and small tensors, and what the allocator keeps after frees. Set from
 * bench/results/scale.json: measured Node peaks were 185-337 MiB above the prediction made with 128 MiB
 * here (SmolLM2-135M shape, every precision; Qwen2.5-0.5B shape, fp32), Node's own ~95 MiB included.
 */
export const RUNTIME_OVERHEAD = 384 * 2 ** 20;
/**
 * onnxruntime-web on wasm, measured in Chromium (bench/results/browser-scale.json: the renderer that runs
 * the worker, random SmolLM2-135M and Qwen2.5-0.5B shapes, 4 windows x 128 tokens): at fp16, q8 and q4
 * the peak was 25 MiB under to 95 MiB over the rule above, so wasm adds WASM_EXTRA; at fp32 it was 293
 * MiB (SmolLM2-135M) and 1,989 MiB (Qwen2.5-0.5B) over, about the float32 weights once more, so on wasm
 * fp32 weights count twice. (Why was not traced; a lead: the wasm heap never shrinks, so the runtime's
 * transient copies while a session is created stay in it.)
 */
export const WASM_EXTRA = 128 * 2 ** 20;

export interface DeviceLimits {
  /** The most memory the engine may use (the page's budget, or the machine's). */
  budgetBytes?: number;
  /** The runtime is wasm32: everything it holds must fit in 4 GiB. */
  wasm32?: boolean;
  /** WebGPU adapter limits: the largest buffer, and the largest storage-buffer binding. */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** false: no float16 kernels (WebGPU without shader-f16): fp16 is refused. */
  f16?: boolean;
}

export interface DataShape {
  /** Windows analysed (cached states for all of them). Default 8. */
  windows?: number;
  /** Tokens per window. Default 256 (the workbench's default). */
  seqLen?: number;
  /** Windows per session run. Default 8. */
  batch?: number;
}

export interface PrecisionEstimate {
  precision: WeightPrecision;
  /** Weights as the runtime holds them. */
  weightBytes: number;
  /** Predicted peak of the whole engine (weights + activations + one layer in flight + overhead). */
  peakBytes: number;
  /** The largest single buffer (WebGPU limits). */
  largestBufferBytes: number;
  fits: boolean;
  /** Why it does not fit (empty when it does). */
  over: string[];
}

export interface Admission {
  /** Distinct parameters (a tied head counted once). */
  parameters: number;
  /** One estimate per precision, most precise first. */
  estimates: PrecisionEstimate[];
  /** The precisions that fit, most precise first. */
  fitting: WeightPrecision[];
  /** The most precise that fits, or null. */
  best: WeightPrecision | null;
}

/**
 * Memory of the live engine for `spec` at `precision` (see the file comment). `runtime.wasm`: onnxruntime-web
 * on wasm, which needs more (WASM_EXTRA; fp32 weights twice).
 */
export function estimatePrecision(
  spec: ModelSpec,
  precision: WeightPrecision,
  data: DataShape = {},
  runtime: { wasm?: boolean } = {},
): Omit<PrecisionEstimate, 'fits' | 'over'> {
  const { hiddenSize: d, vocabSize: V, numLayers: L, numHeads: H, intermediateSize: I } = spec;
  const windows = data.windows ?? 8;
  const T = data.seqLen ?? 256;
  const B = Math.min(data.batch ?? 8, windows);
  const counts = parameterCounts(spec);
  const layerParams = counts.attn + counts.mlp;
  const linearBpp = MATRIX_BYTES_PER_PARAM[precision];
  const headBpp = precision === 'fp32' ? 4 : precision === 'fp16' ? 2 : MATRIX_BYTES_PER_PARAM.q8;
  // The embedding table is in no session (x_0 is gathered from its rows in TypeScript: embed-rows.ts);
  // the head holds [V, d] at its precision, tied or not.
  const weightBytes = L * layerParams * linearBpp + V * d * headBpp;

  const largestMatrix = Math.max(I * d, H * spec.headDim * d); // one linear, float32 when decoded
  const loading = largestMatrix * 4 + 2 * layerParams * linearBpp; // decode + graph bytes + the runtime's copy
  // The head's graph being built: its chunks' converted rows and the graph bytes, besides the runtime's
  // copy counted in the weights.
  const headBuild = 2 * V * d * headBpp;
  const states = (2 * L + 1) * windows * T * d * 4;
  const scores = B * H * T * T * 4; // attention scores of one batch (float32)
  const sublayer = Math.max(2 * scores, 3 * B * T * I * 4) + 4 * B * T * d * 4;
  const chunk = Math.min(V, DEFAULT_VOCAB_CHUNK);
  const head = 3 * B * T * chunk * 4;
  const gram = 3 * (L + 1) * B * T * d * 4; // the similarity graph: L+1 states normalized, stacked, transposed
  const analysis = states + Math.max(sublayer + head, gram);
  const wasm = runtime.wasm ? WASM_EXTRA + (precision === 'fp32' ? weightBytes : 0) : 0;
  const peakBytes = weightBytes + RUNTIME_OVERHEAD + wasm + Math.max(loading, headBuild, analysis);
  const largestBufferBytes = Math.max(largestMatrix * linearBpp, chunk * d * headBpp, scores);
  return { precision, weightBytes, peakBytes, largestBufferBytes };
}

/** Every precision's estimate against `limits`; which fit, and the most precise that does. */
export function admit(spec: ModelSpec, limits: DeviceLimits = {}, data: DataShape = {}): Admission {
  const f16 = limits.f16 ?? true;
  const budget = Math.min(
    limits.budgetBytes ?? Number.POSITIVE_INFINITY,
    limits.wasm32 ? WASM32_BYTES : Number.POSITIVE_INFINITY,
  );
  const buffer = Math.min(
    limits.maxBufferSize ?? Number.POSITIVE_INFINITY,
    limits.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY,
  );
  const estimates = WEIGHT_PRECISIONS.map((p): PrecisionEstimate => {
    const e = estimatePrecision(spec, p, data, { wasm: limits.wasm32 });
    const over: string[] = [];
    if (p === 'fp16' && !f16) over.push('this device has no float16 support (shader-f16)');
    if (e.peakBytes > budget)
      over.push(
        `needs about ${formatBytes(e.peakBytes)}, over the ${formatBytes(budget)} available${limits.wasm32 && budget === WASM32_BYTES ? " (wasm32's 4 GiB)" : ''}`,
      );
    if (e.largestBufferBytes > buffer)
      over.push(
        `its largest buffer (${formatBytes(e.largestBufferBytes)}) is over the device's ${formatBytes(buffer)} per buffer`,
      );
    return { ...e, fits: over.length === 0, over };
  });
  const fitting = estimates.filter((e) => e.fits).map((e) => e.precision);
  return { parameters: parameterCounts(spec).total, estimates, fitting, best: fitting[0] ?? null };
}

/**
 * The precision to load at: `wanted` when given and it fits, else the most precise that fits. Throws
 * ModelTooLargeError naming every precision's estimate when `wanted` (or every precision) does not fit.
 */
export function choosePrecision(
  a: Admission,
  wanted: WeightPrecision | undefined,
  modelName = 'This model',
): WeightPrecision {
  const params = `${(a.parameters / 1e6).toFixed(1)}M parameters`;
  const lines = a.estimates.map(
    (e) => `${e.precision}: ${e.fits ? `fits (about ${formatBytes(e.peakBytes)})` : e.over.join('; ')}`,
  );
  if (wanted) {
    const e = a.estimates.find((x) => x.precision === wanted);
    if (e?.fits) return wanted;
    if (wanted === 'fp16' && e?.over.length === 1 && e.over[0].includes('shader-f16'))
      throw new SettingsError(
        `fp16 needs float16 support, which this device lacks (its WebGPU adapter has no shader-f16). ` +
          (a.best ? `The next best precision that fits is ${a.best}.` : 'No precision fits this device.'),
        { precision: wanted, best: a.best },
      );
    throw new ModelTooLargeError(
      `${modelName} (${params}) does not fit this device at ${wanted}: ${e?.over.join('; ')}. ` +
        (a.best ? `The most precise setting that fits is ${a.best}.` : 'No precision fits.') +
        ` Estimates per precision: ${lines.join('; ')}.`,
      { precision: wanted, best: a.best, estimates: a.estimates },
    );
  }
  if (a.best) return a.best;
  throw new ModelTooLargeError(
    `${modelName} is too large for this device: its ${params} fit at no weight precision (${lines.join('; ')}). Pick a smaller model, or analyse it on a GPU server (droplab analyze --device webgpu --out results.json) and open the file with Import results.`,
    { best: null, estimates: a.estimates },
  );
}
