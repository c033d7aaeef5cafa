/**
 * The two runtimes every graph test runs on: onnxruntime-node (CPU EP) and onnxruntime-web's wasm
 * backend, loaded in Node inside Vitest. Both are injected into the engine as OrtLike.
 */
import * as ortWeb from 'onnxruntime-web';
import { ortNode } from '../../src/cli/ort-node';
import type { OrtLike, OrtSession, OrtTensor } from '../../src/engine/runtime/ort';

// One thread: CPU is scarce here, and the tests compare values, not speed.
ortWeb.env.wasm.numThreads = 1;

export interface Runtime {
  name: string;
  ort: OrtLike;
  ep: string;
}

export const RUNTIMES: Runtime[] = [
  { name: 'onnxruntime-node', ort: ortNode, ep: 'cpu' },
  { name: 'onnxruntime-web wasm', ort: ortWeb as unknown as OrtLike, ep: 'wasm' },
];

export type Feed =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] }
  | { type: 'int32'; data: Int32Array; dims: readonly number[] }
  | { type: 'bool' | 'uint8'; data: Uint8Array; dims: readonly number[] };

export interface Fetched {
  type: string;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export const f32 = (data: ArrayLike<number>, dims: readonly number[]): Feed => ({
  type: 'float32',
  data: Float32Array.from(data),
  dims,
});
export const i64 = (data: ArrayLike<number>, dims: readonly number[]): Feed => ({
  type: 'int64',
  data: BigInt64Array.from(Array.from(data), (v) => BigInt(v)),
  dims,
});

export async function session(rt: Runtime, model: Uint8Array): Promise<OrtSession> {
  return rt.ort.InferenceSession.create(model, { executionProviders: [rt.ep], logSeverityLevel: 3 });
}

export async function runSession(
  rt: Runtime,
  s: OrtSession,
  feeds: Record<string, Feed>,
  fetches?: readonly string[],
): Promise<Record<string, Fetched>> {
  const tensors: Record<string, OrtTensor> = {};
  for (const [k, f] of Object.entries(feeds)) tensors[k] = new rt.ort.Tensor(f.type, f.data, f.dims);
  const out = await s.run(tensors, fetches);
  const res: Record<string, Fetched> = {};
  for (const [k, t] of Object.entries(out))
    res[k] = { type: t.type, dims: [...t.dims], data: t.data as Fetched['data'] };
  return res;
}

/** Create a session, run once, release. */
export async function runModel(
  rt: Runtime,
  model: Uint8Array,
  feeds: Record<string, Feed>,
  fetches?: readonly string[],
): Promise<Record<string, Fetched>> {
  const s = await session(rt, model);
  try {
    return await runSession(rt, s, feeds, fetches);
  } finally {
    await s.release();
  }
}

/** max |a - b| over all elements; Infinity when lengths differ or a value is NaN where the other is not. */
export function maxAbsDiff(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    if (d > m) m = d;
  }
  return m;
}

/** Deterministic PRNG (mulberry32, tests/support/prng.ts) for test data. */
export { mulberry32 as rng } from './prng';

/** n uniform values in [-scale, scale). */
export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** Records the largest diff seen per label, printed once at the end of a file (for the report). */
export const measured = new Map<string, number>();
export function record(label: string, d: number): number {
  measured.set(label, Math.max(measured.get(label) ?? 0, d));
  return d;
}
