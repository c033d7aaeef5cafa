/**
 * Standard errors as lm-evaluation-harness computes them (lm_eval/api/metrics.py):
 * - a mean (acc, acc_norm): mean_stderr = sample_stddev / sqrt(n), sample_stddev with n - 1; for 0/1
 *   values this is sqrt(p (1 - p) / (n - 1));
 * - perplexity (LAMBADA): bootstrap_stderr, the standard deviation of the metric over resamples of the
 *   items with replacement. lm-eval draws 100,000 resamples by default; DropLab draws `iters` (default
 *   1,000) from a seeded generator, so a result can be repeated.
 */
import { mulberry32 } from '../random';

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** sample_stddev(xs) / sqrt(n); NaN for fewer than 2 values (as lm-eval's division by n - 1 = 0). */
export function meanStderr(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mu = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - mu) ** 2;
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}

/** exp(-mean(loglik)): lm-eval's perplexity aggregation over items. */
export function perplexity(logliks: ArrayLike<number>): number {
  return Math.exp(-mean(logliks));
}

/** Bootstrap standard error of f over `iters` seeded resamples with replacement (sample stddev of the draws). */
export function bootstrapStderr(
  f: (xs: Float64Array) => number,
  xs: ArrayLike<number>,
  iters = 1000,
  seed = 1234,
): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const rand = mulberry32(seed);
  const draws = new Float64Array(iters);
  const buf = new Float64Array(n);
  for (let k = 0; k < iters; k++) {
    for (let i = 0; i < n; i++) buf[i] = xs[Math.floor(rand() * n)];
    draws[k] = f(buf);
  }
  const mu = mean(draws);
  let ss = 0;
  for (let k = 0; k < iters; k++) ss += (draws[k] - mu) ** 2;
  return Math.sqrt(ss / (iters - 1));
}
