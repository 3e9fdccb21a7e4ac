import { describe, it, expect } from 'vitest';
import type { Costs, Selection } from '../types';
import {
  defaultSelector,
  estimatePoolAccuracy,
  expectedSubsetCosts,
  poolAccuracy,
  poolMeanScore,
  poolPassAt1,
  type PoolSample,
} from './pool';

function costs(generatedTokens: number): Costs {
  return {
    generations: 1,
    generatedTokens,
    promptTokens: 10,
    verifierTokens: 5,
    flops: 100 * generatedTokens,
  };
}

function sample(
  answer: string | null,
  score: number | null,
  correct: boolean,
  tokens = 10,
): PoolSample {
  return { answer, score, correct, costs: costs(tokens) };
}

/** Exact expected accuracy: the selector over every ordered subset of size b. */
function exhaustive(pool: readonly PoolSample[], b: number, selection: Selection): number {
  let hit = 0;
  let total = 0;
  const walk = (chosen: number[]) => {
    if (chosen.length === b) {
      total++;
      if (
        defaultSelector(
          chosen.map((i) => pool[i] as PoolSample),
          selection,
        )
      )
        hit++;
      return;
    }
    for (let i = 0; i < pool.length; i++) if (!chosen.includes(i)) walk([...chosen, i]);
  };
  walk([]);
  return hit / total;
}

// Three wrong 'A' with low scores (sum 0.3) and one right 'B' with a high score (0.9).
const constructed: PoolSample[] = [
  sample('A', 0.1, false),
  sample('A', 0.1, false),
  sample('B', 0.9, true),
  sample('A', 0.1, false),
];

describe('pool selection', () => {
  it('best-of-N weighted follows the score sum, majority the count, on the whole pool', () => {
    expect(poolAccuracy(constructed, 4, 'weighted', { resamples: 50 })).toBe(1);
    expect(poolAccuracy(constructed, 4, 'naive', { resamples: 50 })).toBe(1);
    expect(poolAccuracy(constructed, 4, 'majority', { resamples: 50 })).toBe(0);
    // Many low-scored votes can outweigh one high score: four 'A' at 0.3 beat one 'B' at 0.9.
    const crowd = [...constructed, sample('A', 0.9, false)].map((s) =>
      s.answer === 'A' ? { ...s, score: 0.3 } : s,
    );
    expect(poolAccuracy(crowd, 5, 'weighted', { resamples: 20 })).toBe(0);
    expect(poolAccuracy(crowd, 5, 'naive', { resamples: 20 })).toBe(1);
  });

  it('matches the exact expectation over subsets at every budget', () => {
    // b=2: B is in half of the pairs (weighted/naive win then); majority ties 1-1 and breaks at random.
    expect(exhaustive(constructed, 2, 'weighted')).toBeCloseTo(0.5, 12);
    expect(exhaustive(constructed, 2, 'majority')).toBeCloseTo(0.25, 12);
    const mixed: PoolSample[] = [
      sample('7', 0.8, true),
      sample('7', 0.4, true),
      sample('3', 0.7, false),
      sample('3', 0.6, false),
      sample(null, 0.95, false),
      sample('5', 0.2, false),
    ];
    for (const selection of ['naive', 'majority', 'weighted'] as const) {
      for (const b of [1, 2, 3, 6]) {
        const estimate = poolAccuracy(mixed, b, selection, { resamples: 6000, seed: b });
        expect(Math.abs(estimate - exhaustive(mixed, b, selection))).toBeLessThan(0.03);
      }
    }
    // At b=1 every rule is pass@1.
    expect(poolAccuracy(mixed, 1, 'weighted', { resamples: 6000 })).toBeCloseTo(
      poolPassAt1(mixed),
      1,
    );
  });

  it('without a verifier, weighted falls back to the vote count', () => {
    const unscored = constructed.map((s) => ({ ...s, score: null }));
    expect(poolAccuracy(unscored, 4, 'weighted', { resamples: 20 })).toBe(0);
    expect(poolMeanScore(unscored)).toBeNull();
    expect(poolMeanScore(constructed)).toBeCloseTo(0.3, 12);
  });

  it('rejects budgets larger than the pool', () => {
    expect(() => poolAccuracy(constructed, 5, 'weighted')).toThrow(/outside 1..4/);
  });

  it('expected subset cost is budget x the mean sample cost', () => {
    const pool = [sample('1', 0.5, true, 10), sample('1', 0.5, true, 30)];
    expect(expectedSubsetCosts(pool, 1)).toEqual({
      generations: 1,
      generatedTokens: 20,
      promptTokens: 10,
      verifierTokens: 5,
      flops: 2000,
    });
    expect(expectedSubsetCosts(pool, 2).generatedTokens).toBe(40);
  });
});

describe('estimatePoolAccuracy', () => {
  it('gives rising curves for an informative verifier, with intervals around the mean', () => {
    // Each problem: 16 samples, a third right with high scores, the rest spread over wrong answers.
    const pools = Array.from({ length: 30 }, (_, p) =>
      Array.from({ length: 16 }, (_, i) =>
        i % 3 === p % 3
          ? sample('42', 0.7 + (i % 4) * 0.05, true)
          : sample(String(i % 4), 0.2 + (i % 5) * 0.05, false),
      ),
    );
    const budgets = [1, 2, 4, 8, 16];
    const weighted = estimatePoolAccuracy(pools, budgets, 'weighted', { resamples: 200, seed: 1 });
    expect(weighted.map((e) => e.budget)).toEqual(budgets);
    for (let i = 1; i < weighted.length; i++) {
      expect(weighted[i]?.accuracy.mean).toBeGreaterThanOrEqual(
        (weighted[i - 1]?.accuracy.mean ?? 0) - 0.02,
      );
    }
    expect(weighted[0]?.accuracy.mean).toBeCloseTo(
      pools.reduce((a, p) => a + poolPassAt1(p), 0) / 30,
      1,
    );
    expect(weighted[4]?.accuracy.mean).toBe(1);
    for (const e of weighted) {
      expect(e.accuracy.low).toBeLessThanOrEqual(e.accuracy.mean);
      expect(e.accuracy.high).toBeGreaterThanOrEqual(e.accuracy.mean);
      expect(e.costs.generations).toBeCloseTo(e.budget, 12);
    }
    expect(estimatePoolAccuracy(pools, budgets, 'weighted', { resamples: 200, seed: 1 })).toEqual(
      weighted,
    );
  });
});
