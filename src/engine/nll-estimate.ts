/**
 * The estimate of an evaluation's mean NLL from the window batches done so far (issue 13 item 6).
 *
 * Unpaired: the mean NLL of the windows done, with the standard error over windows (sd of the per-window
 * mean NLL / sqrt(windows)).
 *
 * Paired: when an earlier result on the same windows is known (the engine keeps every result for the
 * current windows), the estimate is that result's mean NLL over ALL windows plus the mean change over the
 * windows done, and the standard error is that of the per-window changes. A toggle changes one sublayer,
 * so the per-window NLLs of the two configurations move together and the changes spread far less than the
 * NLLs themselves. Once every window is done it is the mean NLL of all windows (the final value), up to
 * float64 rounding. Every window has the same number of predicted tokens, so per-window means weigh equally.
 */
import type { DropConfig, NllEstimate } from './api';
import type { NllSum } from './pipeline';

/** Per-window mean NLL of the first `windows` windows. */
function windowMeans(s: NllSum, windows: number, perWindow: number): Float64Array {
  return Float64Array.from(s.perWindow.subarray(0, windows), (v) => v / perWindow);
}

/** Mean and standard error of the mean of `x` (NaN for fewer than 2 values). */
function meanAndSe(x: Float64Array): { mean: number; se: number } {
  const n = x.length;
  let m = 0;
  for (const v of x) m += v;
  m /= n;
  let ss = 0;
  for (const v of x) ss += (v - m) ** 2;
  return { mean: m, se: n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN };
}

/** The mean NLL of the first `windows` of `of` windows (standard error over windows). */
export function nllEstimate(sofar: NllSum, windows: number, of: number): NllEstimate {
  const per = sofar.count / Math.max(1, windows);
  const { se } = meanAndSe(windowMeans(sofar, windows, per));
  return { meanNll: sofar.sum / sofar.count, se, windows, of };
}

/**
 * The paired estimate: `ref` (every window of the same windows, under the drops `refDrop`) plus the mean
 * per-window change over the first `windows` windows of `sofar`.
 */
export function pairedNllEstimate(
  sofar: NllSum,
  windows: number,
  of: number,
  ref: NllSum,
  refDrop: DropConfig,
): NllEstimate {
  if (ref.perWindow.length !== of || sofar.perWindow.length !== of)
    throw new RangeError(`paired estimate: the reference has ${ref.perWindow.length} windows, the evaluation ${of}`);
  const per = ref.count / of;
  const diff = new Float64Array(windows);
  for (let w = 0; w < windows; w++) diff[w] = (sofar.perWindow[w] - ref.perWindow[w]) / per;
  const { mean, se } = meanAndSe(diff);
  return { meanNll: ref.sum / ref.count + mean, se, windows, of, pairedWith: refDrop };
}

/** Sublayers in one configuration and not the other (how far apart two configurations are). */
export function dropDistance(a: DropConfig, b: DropConfig): number {
  const one = (x: number[], y: number[]) =>
    x.filter((v) => !y.includes(v)).length + y.filter((v) => !x.includes(v)).length;
  return one(a.attn, b.attn) + one(a.mlp, b.mlp);
}
