import { describe, it, expect } from 'vitest';
import { Rng } from '../random';
import { computeSavings, computeToReach, twoFoldChoice, type CurvePoint } from './computeOptimal';

function bernoulliTable(problems: number, rates: number[], seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: problems }, () => rates.map((p) => (rng.next() < p ? 1 : 0)));
}

describe('twoFoldChoice', () => {
  it('picks the truly better setting and scores it on held-out problems', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const table = bernoulliTable(60, [0.3, 0.75, 0.5], seed);
      const choice = twoFoldChoice(table, seed);
      expect(choice.crossValidated).toBe(true);
      expect(choice.chosen).toEqual([1, 1]);
      const meanOfBest = table.reduce((a, row) => a + (row[1] as number), 0) / table.length;
      expect(choice.accuracy).toBeCloseTo(meanOfBest, 12);
      expect(choice.evaluatedWith.every((s) => s === 1)).toBe(true);
    }
  });

  it('does not reward picking the luckiest of equal settings (unlike choosing in-sample)', () => {
    let cv = 0;
    let inSample = 0;
    const runs = 40;
    for (let seed = 1; seed <= runs; seed++) {
      const table = bernoulliTable(20, Array<number>(12).fill(0.5), seed);
      cv += twoFoldChoice(table, seed).accuracy;
      const means =
        table[0]?.map((_, s) => table.reduce((a, row) => a + (row[s] as number), 0) / 20) ?? [];
      inSample += Math.max(...means);
    }
    expect(cv / runs).toBeGreaterThan(0.42);
    expect(cv / runs).toBeLessThan(0.58);
    expect(inSample / runs).toBeGreaterThan(0.65);
  });

  it('chooses on one fold and scores on the other', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const table = bernoulliTable(9, [0.4, 0.5, 0.6], seed);
      const choice = twoFoldChoice(table, seed);
      expect(choice.folds.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(choice.folds.map((f) => f.length)).toEqual([5, 4]);
      choice.folds.forEach((fold, f) => {
        const means = [0, 1, 2].map((s) => fold.reduce((a, r) => a + (table[r]?.[s] as number), 0));
        expect(choice.chosen[f]).toBe(means.indexOf(Math.max(...means)));
        for (const r of choice.folds[1 - f] ?? [])
          expect(choice.evaluatedWith[r]).toBe(choice.chosen[f]);
      });
      const expected =
        choice.evaluatedWith.reduce((a, s, r) => a + (table[r]?.[s] as number), 0) / 9;
      expect(choice.accuracy).toBeCloseTo(expected, 12);
    }
  });

  it('handles one problem (no split) and ties (earlier setting wins)', () => {
    expect(twoFoldChoice([[0.2, 0.8]], 1)).toEqual({
      accuracy: 0.8,
      chosen: [1],
      evaluatedWith: [1],
      folds: [[0]],
      crossValidated: false,
    });
    expect(
      twoFoldChoice(
        [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
        1,
      ).chosen,
    ).toEqual([0, 0]);
    expect(() => twoFoldChoice([], 1)).toThrow();
    expect(() => twoFoldChoice([[1, 0], [1]], 1)).toThrow(/every setting/);
  });
});

describe('computeSavings', () => {
  const budgets = [1, 2, 4, 8, 16, 32, 64];
  // Best-of-N: 0.1 per doubling. The other strategy reaches at b what best-of-N reaches at 4b.
  const bestOfN: CurvePoint[] = budgets.map((b) => ({ cost: b, accuracy: 0.1 * Math.log2(b) }));
  const better: CurvePoint[] = budgets.map((b) => ({
    cost: b,
    accuracy: 0.1 * (Math.log2(b) + 2),
  }));

  it('shows 4x where best-of-N needs 4b, and null where it never gets there', () => {
    const savings = computeSavings(better, bestOfN);
    savings.forEach((p, i) => {
      const b = budgets[i] as number;
      if (4 * b <= 64) {
        expect(p.savings).toBeCloseTo(4, 9);
        expect(p.baselineCost).toBeCloseTo(4 * b, 9);
      } else {
        expect(p.savings).toBeNull();
        expect(p.baselineCost).toBeNull();
      }
    });
  });

  it('interpolates on log2 compute, in any unit, and flags the start of the baseline', () => {
    const tokens = bestOfN.map((p) => ({ cost: p.cost * 100, accuracy: p.accuracy }));
    // Halfway between 0.1 (200 tokens) and 0.2 (400 tokens) on a log scale: 200 * sqrt(2).
    expect(computeToReach(tokens, 0.15)?.cost).toBeCloseTo(200 * Math.SQRT2, 9);
    const [low] = computeSavings([{ cost: 50, accuracy: -1 }], tokens);
    expect(low).toMatchObject({ baselineCost: 100, savings: 2, atBaselineStart: true });
    // Unsorted input and a dip: the first crossing counts.
    const dip: CurvePoint[] = [
      { cost: 8, accuracy: 0.5 },
      { cost: 1, accuracy: 0.1 },
      { cost: 4, accuracy: 0.6 },
      { cost: 2, accuracy: 0.2 },
    ];
    expect(computeToReach(dip, 0.4)?.cost).toBeCloseTo(2 ** (1 + 0.5), 9);
    expect(computeToReach([], 0.4)).toBeNull();
  });
});
