/**
 * From scores to one answer: step-score aggregation and the three best-of-N selection rules.
 *
 * Tie-breaking is deterministic everywhere and never depends on object identity or Map order:
 * - an answer's representative (the node reported as selected) is its highest-scored candidate,
 *   the earlier one (lower index in the input list) on equal scores;
 * - between answers: higher weight wins (count for majority, score sum for weighted, best score
 *   for naive), then the larger count, then the answer whose first candidate came earliest.
 * Solutions without an answer never win while at least one answered solution exists; they are
 * still listed in the votes table, under the answer ''.
 */
import type { Aggregation } from './types';
import type { VoteEntry } from './trace/events';

/**
 * One solution's score from its per-step scores.
 * @param stepScores PRM scores in [0,1], one per step, in order.
 * @param aggregation `last` (the paper's choice: the PRM's belief after the final step), `min`
 *   (the weakest step) or `product` (all steps right, if steps were independent).
 * @returns The aggregated score; 0 for a solution with no steps (nothing to believe in).
 */
export function aggregateStepScores(
  stepScores: readonly number[],
  aggregation: Aggregation,
): number {
  if (stepScores.length === 0) return 0;
  switch (aggregation) {
    case 'last':
      return stepScores[stepScores.length - 1] ?? 0;
    case 'min':
      return Math.min(...stepScores);
    case 'product':
      return stepScores.reduce((p, s) => p * s, 1);
  }
}

/** A solution as the voting rules see it. */
export interface VoteCandidate {
  /** Trace node id of the solution (its last node). */
  id: string;
  /** Normalised final answer (the caller applies task.normalizeAnswer), or null if it has none. */
  answer: string | null;
  /** Aggregated verifier score in [0,1]; ignored by majority vote. */
  score: number;
  /** Whether `answer` is right (graded by the task). */
  correct: boolean;
}

export interface VoteResult<C extends VoteCandidate = VoteCandidate> {
  /** The winning answer's representative (its highest-scored candidate), null if no candidates. */
  winner: C | null;
  /** The winning normalised answer, null if no candidate has one. */
  answer: string | null;
  correct: boolean;
  /** One row per distinct answer, winner first, then in ranking order; '' (no answer) last. */
  votes: VoteEntry[];
}

interface AnswerGroup<C extends VoteCandidate> {
  answer: string;
  hasAnswer: boolean;
  count: number;
  scoreSum: number;
  bestScore: number;
  firstIndex: number;
  representative: C;
  correct: boolean;
}

function groupByAnswer<C extends VoteCandidate>(candidates: readonly C[]): AnswerGroup<C>[] {
  const groups = new Map<string, AnswerGroup<C>>();
  candidates.forEach((c, index) => {
    // null and '' both mean "no answer"; a prefix keeps them apart from a real answer ''.
    const key = c.answer === null || c.answer === '' ? '\u0000none' : `a:${c.answer}`;
    const g = groups.get(key);
    if (!g) {
      groups.set(key, {
        answer: c.answer ?? '',
        hasAnswer: c.answer !== null && c.answer !== '',
        count: 1,
        scoreSum: c.score,
        bestScore: c.score,
        firstIndex: index,
        representative: c,
        correct: c.correct && c.answer !== null,
      });
      return;
    }
    g.count += 1;
    g.scoreSum += c.score;
    // Strictly greater: on equal scores the earlier candidate stays the representative.
    if (c.score > g.bestScore) {
      g.bestScore = c.score;
      g.representative = c;
    }
  });
  return [...groups.values()];
}

function rankAndReport<C extends VoteCandidate>(
  candidates: readonly C[],
  weightOf: (g: AnswerGroup<C>) => number,
): VoteResult<C> {
  const groups = groupByAnswer(candidates);
  const ranked = groups.slice().sort((a, b) => {
    if (a.hasAnswer !== b.hasAnswer) return a.hasAnswer ? -1 : 1;
    const dw = weightOf(b) - weightOf(a);
    if (dw !== 0) return dw;
    if (b.count !== a.count) return b.count - a.count;
    return a.firstIndex - b.firstIndex;
  });
  const votes: VoteEntry[] = ranked.map((g) => ({
    answer: g.answer,
    count: g.count,
    weight: weightOf(g),
    correct: g.hasAnswer && g.correct,
  }));
  const top = ranked[0];
  if (!top) return { winner: null, answer: null, correct: false, votes };
  return {
    winner: top.representative,
    answer: top.hasAnswer ? top.answer : null,
    correct: top.hasAnswer && top.correct,
    votes,
  };
}

/**
 * Majority vote (self-consistency): the most frequent normalised answer wins; scores are ignored.
 * VoteEntry.weight is the count.
 * @param candidates Solutions in generation order (the order breaks ties).
 */
export function majorityVote<C extends VoteCandidate>(candidates: readonly C[]): VoteResult<C> {
  return rankAndReport(candidates, (g) => g.count);
}

/**
 * Best-of-N weighted, the paper's default: each distinct normalised answer gets the sum of the
 * verifier scores of the solutions that reach it; the largest sum wins.
 * @param candidates Solutions with aggregated verifier scores, in generation order.
 */
export function bestOfNWeighted<C extends VoteCandidate>(candidates: readonly C[]): VoteResult<C> {
  return rankAndReport(candidates, (g) => g.scoreSum);
}

/**
 * Naive best-of-N: the single highest-scored solution wins. VoteEntry.weight is the best score
 * among the solutions giving that answer, so the table ranks answers the way the rule does.
 * @param candidates Solutions with aggregated verifier scores, in generation order.
 */
export function naiveBestOfN<C extends VoteCandidate>(candidates: readonly C[]): VoteResult<C> {
  return rankAndReport(candidates, (g) => g.bestScore);
}

/** Dispatch on a selection rule name ('naive' | 'majority' | 'weighted'). */
export function selectAnswer<C extends VoteCandidate>(
  candidates: readonly C[],
  method: 'naive' | 'majority' | 'weighted',
): VoteResult<C> {
  switch (method) {
    case 'naive':
      return naiveBestOfN(candidates);
    case 'majority':
      return majorityVote(candidates);
    case 'weighted':
      return bestOfNWeighted(candidates);
  }
}
