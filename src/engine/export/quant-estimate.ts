/**
 * The time a calibrated q4 export will take, before it starts (the Export panel shows it): the times
 * measured by bench/quant-calibrated.ts on the bundled model (bench/results/quant.json, block 32, the
 * default of each method (AWQ: sublayer objective with clipping; GPTQ: sequential), onnxruntime-node CPU
 * on a shared 2-core machine at load average 9-16 with other benchmarks beside it, so generous (several
 * times an idle machine's); tests/engine/export/quant-estimate.test.ts keeps these constants
 * equal to that file) scaled to the model and windows asked for:
 *
 *   calibration   measured (session runs + graph builds) x tokens / tokens_ref x P / P_ref
 *   quantization  measured (GPTQ Hessian + column loop, or AWQ search + final RTN) x Q / Q_ref
 *   scoring       measured (fp32 + q4 held-out scoring) x tokens / tokens_ref x (P + V d) / (P + V d)_ref
 *
 * P = sum over kept linears of N K (their parameters), Q = sum of N K^2 (the per-row quadratic forms
 * and column loops grow with K), V d the LM head. It is an estimate: the browser's wasm or WebGPU
 * runtime is not onnxruntime-node, and the machine differs.
 */
import type { DropConfig, QuantMethod } from '../api';
import { normalizeDrop } from '../drops';
import type { ModelSpec } from '../model/spec';

/** bench/results/quant.json at block 32: milliseconds and the run's sizes (bundled model, no drop). */
export const QUANT_TIME_REFERENCE = {
  model: 'droplab-byte-12l',
  calibrationTokens: 32 * 256,
  heldoutTokens: 32 * 256,
  /** fp32 + q4 scoring of the held-out windows (fp32ScoreMs + the RTN row's scoreMs). */
  scoreMs: 7891 + 8026,
  /** calibrationMs + graphMs, and the quantizer's own parts, per method (rtn: the whole plan). */
  methods: {
    rtn: { calibrationMs: 0, quantizeMs: 754 },
    gptq: { calibrationMs: 43506 + 6278, quantizeMs: 11510 + 8817 },
    awq: { calibrationMs: 21149 + 2447, quantizeMs: 142874 + 18073 },
  } satisfies Record<QuantMethod, { calibrationMs: number; quantizeMs: number }>,
} as const;

/** P (parameters) and Q (sum N K^2) of the kept linears, and V d of the head. */
export function linearSizes(spec: ModelSpec, drop: DropConfig): { P: number; Q: number; head: number } {
  const d = normalizeDrop(drop, spec.numLayers);
  const h = spec.hiddenSize;
  const qd = spec.numHeads * spec.headDim;
  const kvd = spec.numKvHeads * spec.headDim;
  const I = spec.intermediateSize;
  const attn: [number, number][] = [
    [qd, h],
    [kvd, h],
    [kvd, h],
    [h, qd],
  ];
  const mlp: [number, number][] = [...(spec.mlp === 'gated' ? [[I, h] as [number, number]] : []), [I, h], [h, I]];
  let P = 0;
  let Q = 0;
  for (let l = 0; l < spec.numLayers; l++) {
    const kept = [...(d.attn.includes(l) ? [] : attn), ...(d.mlp.includes(l) ? [] : mlp)];
    for (const [N, K] of kept) {
      P += N * K;
      Q += N * K * K;
    }
  }
  return { P, Q, head: spec.vocabSize * h };
}

/** linearSizes of the bundled model, nothing dropped (the reference run's; tested against its spec). */
export const REF_SIZES = { P: 2_359_296, Q: 452_984_832, head: 32_896 } as const;

export interface QuantEstimate {
  quantizeMs: number;
  scoreMs: number;
  basis: string;
}

export function estimateQuantTime(
  spec: ModelSpec,
  drop: DropConfig,
  method: QuantMethod,
  calibTokens: number,
  heldoutTokens: number,
): QuantEstimate {
  const s = linearSizes(spec, drop);
  const r = QUANT_TIME_REFERENCE;
  const m = r.methods[method];
  const quantizeMs =
    method === 'rtn'
      ? m.quantizeMs * (s.P / REF_SIZES.P)
      : m.calibrationMs * (calibTokens / r.calibrationTokens) * (s.P / REF_SIZES.P) +
        m.quantizeMs * (s.Q / REF_SIZES.Q);
  const scoreMs = r.scoreMs * (heldoutTokens / r.heldoutTokens) * ((s.P + s.head) / (REF_SIZES.P + REF_SIZES.head));
  return {
    quantizeMs,
    scoreMs,
    basis:
      'times measured on the bundled model (bench/results/quant.json: onnxruntime-node CPU, 2 cores) scaled by tokens x parameters for calibration and scoring and by the sum of N·K² for quantization; the browser runtime differs',
  };
}
