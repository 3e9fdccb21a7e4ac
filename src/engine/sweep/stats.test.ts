import { describe, it, expect } from 'vitest';
import { Rng } from '../random';
import { bootstrapMean, passAtK, quantileSorted, sampleIndices, shuffled } from './stats';

/** pass@k by enumerating every k-subset of n samples, the first c of which are correct. */
function bruteForcePassAtK(n: number, c: number, k: number): number {
  let hit = 0;
  let total = 0;
  const walk = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      total++;
      if (chosen.some((i) => i < c)) hit++;
      return;
    }
    for (let i = start; i < n; i++) walk(i + 1, [...chosen, i]);
  };
  walk(0, []);
  return hit / total;
}

describe('passAtK', () => {
  it('matches brute-force enumeration on every small case', () => {
    for (let n = 1; n <= 9; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          expect(passAtK(n, c, k)).toBeCloseTo(bruteForcePassAtK(n, c, k), 12);
        }
      }
    }
  });

  it('is c/n at k=1 and stays in [0,1] for large n', () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    const v = passAtK(2048, 5, 256);
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(1);
  });

  it('rejects impossible arguments', () => {
    expect(() => passAtK(4, 5, 1)).toThrow(/0 ≤ c ≤ n/);
    expect(() => passAtK(4, 1, 5)).toThrow(/1 ≤ k ≤ n/);
    expect(() => passAtK(4, 1.5, 1)).toThrow(/integers/);
  });
});

describe('bootstrapMean', () => {
  const bernoulli = (count: number, p: number, seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: count }, (): number => (rng.next() < p ? 1 : 0));
  };

  it('returns the sample mean, with an interval that contains it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const values = bernoulli(30, 0.3, seed);
      const est = bootstrapMean(values, { seed });
      expect(est).not.toBeNull();
      if (!est) continue;
      expect(est.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 12);
      expect(est.low).toBeLessThanOrEqual(est.mean);
      expect(est.high).toBeGreaterThanOrEqual(est.mean);
      expect(est.n).toBe(30);
    }
  });

  it('narrows as the number of problems grows (about 1/sqrt(n))', () => {
    const width = (n: number) => {
      const est = bootstrapMean(bernoulli(n, 0.5, n), { seed: 3 });
      return est ? est.high - est.low : NaN;
    };
    const w25 = width(25);
    const w400 = width(400);
    expect(w400).toBeLessThan(w25 / 2.5);
    // The normal approximation: 2 x 1.96 x sqrt(0.25 / n).
    expect(w400).toBeGreaterThan(0.6 * 2 * 1.96 * Math.sqrt(0.25 / 400));
    expect(w400).toBeLessThan(1.4 * 2 * 1.96 * Math.sqrt(0.25 / 400));
  });

  it('is deterministic in its seed and handles 0 and 1 values', () => {
    const values = bernoulli(50, 0.4, 9);
    expect(bootstrapMean(values, { seed: 5 })).toEqual(bootstrapMean(values, { seed: 5 }));
    expect(bootstrapMean([], { seed: 1 })).toBeNull();
    expect(bootstrapMean([0.7])).toEqual({ mean: 0.7, low: 0.7, high: 0.7, n: 1 });
  });
});

describe('helpers', () => {
  it('sampleIndices draws distinct indices, uniformly', () => {
    const rng = new Rng(1);
    const scratch = [0, 1, 2, 3, 4];
    const counts = [0, 0, 0, 0, 0];
    for (let r = 0; r < 5000; r++) {
      const s = sampleIndices(rng, scratch, 2);
      expect(new Set(s).size).toBe(2);
      for (const i of s) counts[i] = (counts[i] as number) + 1;
    }
    for (const c of counts) expect(c / 5000).toBeCloseTo(0.4, 1);
  });

  it('shuffled is a seeded permutation', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    expect(shuffled(items, 4).sort((a, b) => a - b)).toEqual(items);
    expect(shuffled(items, 4)).toEqual(shuffled(items, 4));
    expect(shuffled(items, 4)).not.toEqual(shuffled(items, 5));
  });

  it('quantileSorted interpolates', () => {
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    expect(quantileSorted([1, 2, 3], 0.5)).toBe(2);
  });
});
