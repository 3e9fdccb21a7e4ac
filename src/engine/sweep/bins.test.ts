import { describe, it, expect } from 'vitest';
import { shuffled } from './stats';
import { difficultyBins } from './bins';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

describe('difficultyBins', () => {
  it('makes quantile bins with equal counts, bin 1 = easiest (highest value)', () => {
    const values = ids(100).map((problemId, i) => ({ problemId, value: ((i * 37) % 100) / 100 }));
    const bins = difficultyBins(values);
    expect(bins.bins).toBe(5);
    expect(bins.ranges.map((r) => r.count)).toEqual([20, 20, 20, 20, 20]);
    // The top 20 values are in bin 1, and bins do not overlap.
    expect(bins.ranges[0]).toMatchObject({ bin: 1, min: 0.8, max: 0.99 });
    for (let b = 1; b < 5; b++) {
      expect(bins.ranges[b - 1]?.min).toBeGreaterThan(bins.ranges[b]?.max as number);
    }
    for (const v of values) {
      expect(bins.binOf[v.problemId]).toBe(5 - Math.floor(v.value * 5));
    }
  });

  it('keeps sizes within one when the count does not divide', () => {
    const values = ids(103).map((problemId, i) => ({ problemId, value: i }));
    const counts = difficultyBins(values).ranges.map((r) => r.count);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(103);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('keeps equal counts under heavy ties, deterministically and independent of input order', () => {
    // 40 problems nobody solves, 60 with distinct pass@1.
    const values = ids(100).map((problemId, i) => ({ problemId, value: i < 40 ? 0 : i / 100 }));
    const a = difficultyBins(values);
    const b = difficultyBins(shuffled(values, 7));
    expect(a).toEqual(b);
    expect(a.ranges.map((r) => r.count)).toEqual([20, 20, 20, 20, 20]);
    // The unsolved problems fill the two hardest bins exactly.
    expect(a.ranges[3]).toMatchObject({ min: 0, max: 0 });
    expect(a.ranges[4]).toMatchObject({ min: 0, max: 0 });
    expect(a.ranges[2]?.min).toBeGreaterThan(0);
  });

  it('uses one bin per problem when there are fewer problems than bins', () => {
    const values = [
      { problemId: 'easy', value: 0.9 },
      { problemId: 'hard', value: 0.1 },
      { problemId: 'mid', value: 0.5 },
    ];
    const bins = difficultyBins(values, 5);
    expect(bins.bins).toBe(3);
    expect(bins.binOf).toEqual({ easy: 1, mid: 2, hard: 3 });
    expect(difficultyBins([], 5)).toEqual({ bins: 0, binOf: {}, ranges: [] });
  });

  it('rejects non-finite values', () => {
    expect(() => difficultyBins([{ problemId: 'x', value: NaN }])).toThrow(/non-finite/);
  });
});
