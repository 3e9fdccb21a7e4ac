/**
 * Small statistics for budget sweeps: the unbiased pass@k estimator, seeded subsets and the
 * percentile bootstrap. All randomness is seeded, so a sweep summary is reproducible.
 */
import { Rng } from '../random';

/**
 * The unbiased pass@k estimator (Chen et al., 2021): the probability that at least one of k
 * samples drawn without replacement from n samples, c of them correct, is correct.
 * Computed as 1 - prod_{i=n-c+1..n} (1 - k/i), which avoids huge binomials.
 *
 * @param n samples drawn for the problem
 * @param c how many of them are correct (0..n)
 * @param k the budget (1..n)
 * @example passAtK(10, 3, 1) // 0.3
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new Error(`passAtK: n, c and k must be integers (got ${n}, ${c}, ${k})`);
  }
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new Error(`passAtK: need 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** A 32-bit hash of a string (FNV-1a), to derive per-problem and per-setting seeds from ids. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * `size` distinct indices out of 0..n-1 in random order (a partial Fisher-Yates shuffle).
 * `scratch` must hold 0..n-1 in any order; it is permuted in place and can be reused.
 */
export function sampleIndices(rng: Rng, scratch: number[], size: number): number[] {
  const n = scratch.length;
  if (size > n) throw new Error(`sampleIndices: cannot draw ${size} of ${n}`);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng.next() * (n - i));
    const t = scratch[i] as number;
    scratch[i] = scratch[j] as number;
    scratch[j] = t;
  }
  return scratch.slice(0, size);
}

/** A seeded shuffle (returns a new array). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = new Rng(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = out[i] as T;
    out[i] = out[j] as T;
    out[j] = t;
  }
  return out;
}

/** An estimate with its confidence interval. */
export interface Interval {
  mean: number;
  /** Lower end of the interval (the 2.5th percentile of bootstrap means for 95%). */
  low: number;
  high: number;
  /** Number of values (problems) behind the estimate. */
  n: number;
}

/** Linear-interpolated quantile of sorted values (the usual "type 7" definition). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export interface BootstrapOptions {
  /** Bootstrap resamples; more gives a steadier interval. Default 500. */
  resamples?: number;
  seed?: number;
  /** Coverage of the interval. Default 0.95. */
  confidence?: number;
}

/**
 * The mean of `values` with a percentile-bootstrap interval: resample the values with
 * replacement, take each resample's mean, and read the interval off their quantiles.
 * The interval reflects how much the mean would move with another draw of problems, so it
 * narrows as the number of values grows.
 *
 * @param values one number per unit (for sweeps: a problem's expected accuracy)
 * @returns null when there are no values
 */
export function bootstrapMean(
  values: readonly number[],
  options: BootstrapOptions = {},
): Interval | null {
  const n = values.length;
  if (n === 0) return null;
  const { resamples = 500, seed = 0, confidence = 0.95 } = options;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n === 1) return { mean, low: mean, high: mean, n };
  const rng = new Rng(seed);
  const means = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.next() * n)] as number;
    means[r] = s / n;
  }
  means.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  return { mean, low: quantileSorted(means, tail), high: quantileSorted(means, 1 - tail), n };
}
