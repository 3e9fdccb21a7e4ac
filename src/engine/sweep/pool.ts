/**
 * Best-of-N and majority at every budget from ONE pool of N_max samples per problem: draw subsets
 * of size b from the pool, apply the selection rule, and average. This is how the paper estimates
 * best-of-N curves without a fresh run per budget.
 */
import { selectAnswer, type VoteCandidate } from '../aggregate';
import { Rng } from '../random';
import type { Costs, Selection } from '../types';
import { bootstrapMean, sampleIndices, type Interval } from './stats';
import { meanCosts, scaleCosts } from './units';

/** One complete solution of a problem's pool. */
export interface PoolSample {
  /** Normalised final answer, or null if the solution has none. */
  answer: string | null;
  /** Aggregated verifier score in [0,1]; null when the run had no verifier. */
  score: number | null;
  /** Whether `answer` is right. */
  correct: boolean;
  /** What producing (and scoring) this one sample cost. */
  costs: Costs;
}

/**
 * Picks the answer from a subset of samples. The default is the engine's own selection rules
 * (`selectAnswer` in aggregate.ts); tests or callers may pass another.
 * @returns whether the selected answer is correct
 */
export type SubsetSelector = (samples: readonly PoolSample[], selection: Selection) => boolean;

/**
 * The engine's selection rules applied to pool samples. A missing score counts as 0, so without
 * a verifier both `naive` and `weighted` fall back to the vote count (majority), as the
 * strategies do.
 */
export const defaultSelector: SubsetSelector = (samples, selection) => {
  const candidates: VoteCandidate[] = samples.map((s, i) => ({
    id: String(i),
    answer: s.answer,
    score: s.score ?? 0,
    correct: s.correct,
  }));
  return selectAnswer(candidates, selection).correct;
};

export interface PoolAccuracyOptions {
  /** Random subsets drawn per budget. Default 200. */
  resamples?: number;
  seed?: number;
  selector?: SubsetSelector;
}

/** A problem's expected result at one budget. */
export interface PoolBudgetEstimate {
  budget: number;
  /** Probability that the selected answer is right, over random subsets of size `budget`. */
  accuracy: number;
  /** Expected cost of `budget` samples: budget x the pool's mean cost per sample. */
  costs: Costs;
}

/** Expected cost of a random subset of `budget` samples (exact: budget x mean sample cost). */
export function expectedSubsetCosts(pool: readonly PoolSample[], budget: number): Costs {
  return scaleCosts(meanCosts(pool.map((s) => s.costs)), budget);
}

/**
 * One problem's expected accuracy at one budget: the fraction of `resamples` random subsets of
 * size `budget` (drawn without replacement from the pool, in random order so that ties break at
 * random) whose selected answer is correct.
 *
 * @param pool the problem's N_max samples
 * @param budget subset size b, 1 ≤ b ≤ pool.length
 * @param selection 'naive' (highest score), 'majority' or 'weighted' (best-of-N weighted)
 */
export function poolAccuracy(
  pool: readonly PoolSample[],
  budget: number,
  selection: Selection,
  options: PoolAccuracyOptions = {},
): number {
  const { resamples = 200, seed = 0, selector = defaultSelector } = options;
  if (!Number.isInteger(budget) || budget < 1 || budget > pool.length) {
    throw new Error(`poolAccuracy: budget ${budget} is outside 1..${pool.length} (the pool size)`);
  }
  const rng = new Rng(seed);
  const scratch = pool.map((_, i) => i);
  let correct = 0;
  for (let r = 0; r < resamples; r++) {
    const subset = sampleIndices(rng, scratch, budget).map((i) => pool[i] as PoolSample);
    if (selector(subset, selection)) correct++;
  }
  return correct / resamples;
}

/**
 * `poolAccuracy` at each budget, with the expected cost.
 * @param budgets e.g. [1, 2, 4, ..., N_max]; each at most the pool size
 */
export function poolCurve(
  pool: readonly PoolSample[],
  budgets: readonly number[],
  selection: Selection,
  options: PoolAccuracyOptions = {},
): PoolBudgetEstimate[] {
  return budgets.map((budget, i) => ({
    budget,
    accuracy: poolAccuracy(pool, budget, selection, {
      ...options,
      seed: ((options.seed ?? 0) + Math.imul(i + 1, 0x9e3779b1)) >>> 0,
    }),
    costs: expectedSubsetCosts(pool, budget),
  }));
}

/** Accuracy over problems at one budget, with a 95% bootstrap interval. */
export interface PoolEstimate {
  budget: number;
  accuracy: Interval;
  /** Mean expected cost per problem. */
  costs: Costs;
}

/**
 * Accuracy of a best-of-N selection rule at every budget across problems, from one pool per
 * problem: per problem the expected accuracy over random subsets, then the mean over problems
 * with a percentile-bootstrap 95% interval (problems resampled).
 *
 * @param pools one pool of N_max samples per problem
 * @param budgets budgets to estimate, each ≤ the smallest pool
 * @param selection the best-of-N selection rule
 * @param options resamples: subsets per problem and budget (default 200); bootstrapResamples
 *   (default 500); seed
 */
export function estimatePoolAccuracy(
  pools: readonly (readonly PoolSample[])[],
  budgets: readonly number[],
  selection: Selection,
  options: PoolAccuracyOptions & { bootstrapResamples?: number } = {},
): PoolEstimate[] {
  const seed = options.seed ?? 0;
  const curves = pools.map((pool, p) =>
    poolCurve(pool, budgets, selection, {
      ...options,
      seed: (seed ^ Math.imul(p + 1, 0x85ebca6b)) >>> 0,
    }),
  );
  return budgets.map((budget, i) => {
    const points = curves.map((c) => c[i] as PoolBudgetEstimate);
    const accuracy = bootstrapMean(
      points.map((p) => p.accuracy),
      { resamples: options.bootstrapResamples ?? 500, seed: seed + i },
    ) ?? { mean: NaN, low: NaN, high: NaN, n: 0 };
    return { budget, accuracy, costs: meanCosts(points.map((p) => p.costs)) };
  });
}

/** The fraction of a pool's samples that are correct: pass@1 of the problem. */
export function poolPassAt1(pool: readonly PoolSample[]): number {
  if (pool.length === 0) return 0;
  return pool.filter((s) => s.correct).length / pool.length;
}

/** Mean verifier score of a pool (the predicted difficulty); null if no sample was scored. */
export function poolMeanScore(pool: readonly PoolSample[]): number | null {
  const scores = pool.map((s) => s.score).filter((s): s is number => s !== null);
  if (scores.length === 0) return null;
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}
