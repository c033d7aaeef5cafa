/**
 * Shared helpers of the export tests: run an export into memory, score windows with an exported
 * KV-cache graph (per-token NLL computed by the engine's own NLL block, so only the model differs),
 * and compare numbers.
 */
import type { DropConfig, ModelFiles } from '../../../src/engine/api';
import {
  type ExportOptions,
  type ExportResult,
  type ExportSource,
  exportFiles,
  fileBytes,
  KvDecoder,
  kvLayout,
} from '../../../src/engine/export';
import * as blocks from '../../../src/engine/graphs/blocks';
import type { ModelSpec } from '../../../src/engine/model/spec';
import { GraphBuilder } from '../../../src/engine/onnx/builder';
import type { Runtime } from '../../support/runtimes';

/** The whole export in memory: path -> bytes, plus the result. */
export async function exportToMemory(
  src: ExportSource,
  opts: ExportOptions,
): Promise<{ files: Record<string, Uint8Array>; result: ExportResult }> {
  const files: Record<string, Uint8Array> = {};
  const it = exportFiles(src, opts);
  for (;;) {
    const r = await it.next();
    if (r.done) return { files, result: r.value };
    files[r.value.path] = fileBytes(r.value);
  }
}

/** logits [B,T,V], input_ids [B,T] -> nll [B,T-1]: the same block (blocks.nllAndArgmax) as the engine's head graph. */
export function nllGraph(): Uint8Array {
  const b = new GraphBuilder('nll_from_logits');
  const logits = b.input('logits', 'float32', ['batch', 'seq', 'vocab']);
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  b.output(blocks.nllAndArgmax(b, logits, ids).nll, 'nll');
  return b.build();
}

export async function decoderOn(rt: Runtime, onnx: Uint8Array, spec: ModelSpec, drop: DropConfig): Promise<KvDecoder> {
  return KvDecoder.create(rt.ort, onnx, kvLayout(spec, drop), { executionProviders: [rt.ep] });
}

/**
 * Per-token NLL of every window (each from an empty cache, as the engine scores windows), in window
 * order: [windows * (seqLen - 1)].
 */
export async function exportedNll(
  rt: Runtime,
  dec: KvDecoder,
  windows: Int32Array,
  seqLen: number,
): Promise<Float32Array> {
  const nllSession = await rt.ort.InferenceSession.create(nllGraph(), {
    executionProviders: [rt.ep],
    logSeverityLevel: 3,
  });
  const n = windows.length / seqLen;
  const out = new Float32Array(n * (seqLen - 1));
  const V = dec.layout.vocabSize;
  for (let w = 0; w < n; w++) {
    const ids = windows.subarray(w * seqLen, (w + 1) * seqLen);
    const { logits, cache } = await dec.forward(ids, dec.emptyCache());
    for (const t of Object.values(cache.tensors)) t.dispose();
    const r = await nllSession.run({
      logits: new rt.ort.Tensor('float32', logits, [1, seqLen, V]),
      input_ids: new rt.ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (v) => BigInt(v)),
        [1, seqLen],
      ),
    });
    out.set(r.nll.data as Float32Array, w * (seqLen - 1));
  }
  await nllSession.release();
  return out;
}

/** max over tokens of |a - b| / max(|b|, floor). */
export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** ModelFiles over an in-memory export (for loading the pruned checkpoint back). */
export function filesOf(map: Record<string, Uint8Array>): ModelFiles {
  return { names: () => Object.keys(map), read: async (n: string) => map[n] };
}
