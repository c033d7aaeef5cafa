/**
 * Perplexity of an exported KV-cache graph (graph.ts) on token windows: what the CLI reports after a
 * q4 export, beside the fp32 graph's, on held-out windows (not the calibration ones). Each window runs
 * from an empty cache, as the engine scores windows; the per-token NLL comes from the engine's own NLL
 * block (blocks.nllAndArgmax) in a second small graph, so only the model differs between formats.
 * Position 0 of each window is context only (DESIGN.md §3).
 */
import type { DropConfig } from '../api';
import { CancelledError } from '../errors';
import * as blocks from '../graphs/blocks';
import type { ModelSpec } from '../model/spec';
import { GraphBuilder } from '../onnx/builder';
import type { OrtLike } from '../runtime/ort';
import { KvDecoder, kvLayout } from './generate';

/** logits [B,T,V], input_ids [B,T] -> nll [B,T-1]. */
function nllGraph(): Uint8Array {
  const b = new GraphBuilder('droplab_nll_from_logits');
  const logits = b.input('logits', 'float32', ['batch', 'seq', 'vocab']);
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  b.output(blocks.nllAndArgmax(b, logits, ids).nll, 'nll');
  return b.build();
}

export interface WindowScore {
  /** exp(mean NLL) over every predicted token. */
  perplexity: number;
  meanNll: number;
  /** Predicted tokens: windows x (seqLen - 1). */
  tokens: number;
  windows: number;
  seqLen: number;
}

/** Perplexity of the exported graph `onnx` (the model with `drop`) on `windows` [n * seqLen]. */
export async function scoreWindows(
  ort: OrtLike,
  onnx: Uint8Array,
  spec: ModelSpec,
  drop: DropConfig,
  windows: Int32Array,
  seqLen: number,
  executionProviders?: readonly string[],
  opts: {
    signal?: { readonly aborted: boolean };
    /** After each window: windows done, total, and that window's summed NLL (nats, seqLen - 1 tokens). */
    onWindow?: (done: number, total: number, windowNll: number) => void;
  } = {},
): Promise<WindowScore> {
  const eps = executionProviders ? { executionProviders } : {};
  const dec = await KvDecoder.create(ort, onnx, kvLayout(spec, drop), eps);
  const nll = await ort.InferenceSession.create(nllGraph(), { logSeverityLevel: 3, ...eps });
  const n = Math.floor(windows.length / seqLen);
  let sum = 0;
  try {
    for (let w = 0; w < n; w++) {
      if (opts.signal?.aborted) throw new CancelledError('Export cancelled: nothing was written.');
      const ids = windows.subarray(w * seqLen, (w + 1) * seqLen);
      const { logits, cache } = await dec.forward(ids, dec.emptyCache());
      for (const t of Object.values(cache.tensors)) t.dispose();
      const r = await nll.run({
        logits: new ort.Tensor('float32', logits, [1, seqLen, spec.vocabSize]),
        input_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from(ids, (v) => BigInt(v)),
          [1, seqLen],
        ),
      });
      let wsum = 0;
      for (const v of r.nll.data as Float32Array) wsum += v;
      sum += wsum;
      r.nll.dispose();
      opts.onWindow?.(w + 1, n, wsum);
    }
  } finally {
    await dec.release();
    await nll.release();
  }
  const tokens = n * (seqLen - 1);
  const meanNll = sum / Math.max(1, tokens);
  return { perplexity: Math.exp(meanNll), meanNll, tokens, windows: n, seqLen };
}
