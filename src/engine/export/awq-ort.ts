/**
 * AWQ's alpha search (awq.ts awqSearch) with the error of every alpha evaluated at once on the runtime:
 * the weight-row differences of all alphas stacked as D [A, M, K] (M = the rows of the linears sharing
 * the input), and one graph computes
 *   err[a] = sum_{m} D[a,m,:] H D[a,m,:]^T = ReduceSum(MatMul(D, H) * D, axes 1, 2)     [A]
 * in float32 (MatMul on the runtime's BLAS or WebGPU), instead of the float64 quadratic forms in
 * TypeScript. Alphas go in chunks so D stays under `maxFloats`. The choice can differ from the float64
 * search only where two alphas' errors agree to float32 rounding.
 */
import { GraphBuilder } from '../onnx/builder';
import type { OrtLike, OrtSession } from '../runtime/ort';
import { AWQ_ALPHAS, type AwqLinear, type AwqSearchResult, awqScales, diffRows, rtnScaled } from './awq';

/** D [a, m, k], H [k, k] -> err [a]. */
export function quadFormGraph(): Uint8Array {
  const b = new GraphBuilder('droplab_awq_quadform');
  const D = b.input('D', 'float32', ['a', 'm', 'k']);
  const H = b.input('H', 'float32', ['k', 'k']);
  b.output(b.reduceSum(b.mul(b.matmul(D, H), D), [1, 2], false), 'err', ['a']);
  return b.build();
}

/** One session for every search of a plan (created on first use, released by the caller). */
export class OrtQuadForms {
  private session: Promise<OrtSession> | null = null;
  constructor(
    private readonly ort: OrtLike,
    private readonly executionProviders?: readonly string[],
    private readonly maxFloats = 1 << 25,
  ) {}

  private get(): Promise<OrtSession> {
    this.session ??= this.ort.InferenceSession.create(quadFormGraph(), {
      logSeverityLevel: 3,
      ...(this.executionProviders ? { executionProviders: this.executionProviders } : {}),
    });
    return this.session;
  }

  async search(
    linears: readonly AwqLinear[],
    K: number,
    H: Float64Array,
    meanAbs: Float64Array,
    opts: { block: number; alphas?: readonly number[]; wMean?: Float64Array | null },
  ): Promise<AwqSearchResult> {
    const session = await this.get();
    const alphas = opts.alphas ?? AWQ_ALPHAS;
    const M = linears.reduce((n, l) => n + l.N, 0);
    const per = Math.max(1, Math.floor(this.maxFloats / (M * K)));
    const h = new this.ort.Tensor('float32', Float32Array.from(H), [K, K]);
    const scales = alphas.map((a) =>
      a === 0 ? new Float32Array(K).fill(1) : awqScales(meanAbs, a, opts.wMean ?? null),
    );
    const errors: number[] = [];
    for (let a0 = 0; a0 < alphas.length; a0 += per) {
      const A = Math.min(per, alphas.length - a0);
      const D = new Float32Array(A * M * K);
      for (let a = 0; a < A; a++) {
        let row = a * M;
        for (const { W, N } of linears) {
          const s = scales[a0 + a];
          diffRows(W, N, K, opts.block, 4, rtnScaled(W, N, K, opts.block, 4, s), s, D, row * K);
          row += N;
        }
      }
      const r = await session.run({ D: new this.ort.Tensor('float32', D, [A, M, K]), H: h } as never);
      for (const e of r.err.data as Float32Array) errors.push(e);
      for (const t of Object.values(r)) t.dispose();
    }
    let best = 0;
    for (let a = 1; a < errors.length; a++) if (errors[a] < errors[best]) best = a;
    return { alpha: alphas[best], scales: scales[best], errors };
  }

  async release(): Promise<void> {
    if (this.session) await (await this.session).release();
    this.session = null;
  }
}
