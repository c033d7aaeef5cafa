/**
 * Float64 dense linear algebra for the calibrated quantizers (gptq.ts): Cholesky factorization and the
 * upper Cholesky factor of an inverse. Row-major square matrices [n, n].
 */
import { ExportError } from '../errors';

/** Lower-triangular L with A = L L^T (A symmetric positive definite), or null when A is not. */
export function choleskyLower(a: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    const rj = j * n;
    for (let k = 0; k < j; k++) d -= L[rj + k] * L[rj + k];
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      L[ri + j] = s / ljj;
    }
  }
  return L;
}

/** L^-1 of a lower-triangular L (lower-triangular). */
export function invertLower(L: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    X[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += L[i * n + k] * X[k * n + j];
      X[i * n + j] = -s / L[i * n + i];
    }
  }
  return X;
}

/**
 * GPTQ's Hinv: the upper-triangular U with H^-1 = U^T U (torch.linalg.cholesky(cholesky_inverse(
 * cholesky(H)), upper=True) in the reference code). H must be positive definite (damp it first);
 * otherwise ExportError (reason 'hessian-not-pd').
 */
export function inverseCholeskyUpper(h: Float64Array, n: number, what: string): Float64Array {
  const L = choleskyLower(h, n);
  if (!L)
    throw new ExportError(
      `GPTQ: the damped Hessian of ${what} is not positive definite; use more calibration windows.`,
      {
        reason: 'hessian-not-pd',
        linear: what,
      },
    );
  const Li = invertLower(L, n); // H^-1 = Li^T Li
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j]; // Li lower: k >= max(i, j) = i
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  const L2 = choleskyLower(inv, n);
  if (!L2)
    throw new ExportError(
      `GPTQ: the inverse Hessian of ${what} is not positive definite (numerically); use more damping.`,
      {
        reason: 'hessian-not-pd',
        linear: what,
      },
    );
  const U = new Float64Array(n * n); // U = L2^T
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) U[j * n + i] = L2[i * n + j];
  return U;
}
