import { describe, it, expect } from 'vitest';
import {
  aggregateStepScores,
  bestOfNWeighted,
  majorityVote,
  naiveBestOfN,
  selectAnswer,
  type VoteCandidate,
} from './aggregate';
import { Rng } from './random';

function cand(id: string, answer: string | null, score: number, correct = false): VoteCandidate {
  return { id, answer, score, correct };
}

describe('aggregateStepScores', () => {
  const s = [0.9, 0.5, 0.7];
  it('last / min / product', () => {
    expect(aggregateStepScores(s, 'last')).toBe(0.7);
    expect(aggregateStepScores(s, 'min')).toBe(0.5);
    expect(aggregateStepScores(s, 'product')).toBeCloseTo(0.9 * 0.5 * 0.7, 12);
  });
  it('an empty solution scores 0 under every rule', () => {
    expect(aggregateStepScores([], 'last')).toBe(0);
    expect(aggregateStepScores([], 'min')).toBe(0);
    expect(aggregateStepScores([], 'product')).toBe(0);
  });
});

describe('voting', () => {
  // Three low-scored "7"s against two high-scored "8"s: majority and weighted disagree.
  const split = [
    cand('a', '7', 0.2),
    cand('b', '8', 0.9, true),
    cand('c', '7', 0.2),
    cand('d', '8', 0.8, true),
    cand('e', '7', 0.3),
  ];

  it('weighted vote differs from majority on a constructed case', () => {
    const maj = majorityVote(split);
    const w = bestOfNWeighted(split);
    expect(maj.answer).toBe('7');
    expect(maj.correct).toBe(false);
    expect(w.answer).toBe('8');
    expect(w.correct).toBe(true);
    // The representative is the best-scored solution with the winning answer.
    expect(w.winner?.id).toBe('b');
    expect(w.votes[0]).toEqual({ answer: '8', count: 2, weight: 0.9 + 0.8, correct: true });
    expect(maj.votes[0]).toEqual({ answer: '7', count: 3, weight: 3, correct: false });
  });

  it('weighted vote picks the answer with the largest score sum (random cases)', () => {
    const rng = new Rng(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(1, 16);
      const cands = Array.from({ length: n }, (_, i) =>
        cand(`c${i}`, rng.next() < 0.15 ? null : String(rng.int(0, 4)), rng.next()),
      );
      const sums = new Map<string, number>();
      for (const c of cands)
        if (c.answer !== null) sums.set(c.answer, (sums.get(c.answer) ?? 0) + c.score);
      const result = bestOfNWeighted(cands);
      if (sums.size === 0) {
        expect(result.answer).toBeNull();
        continue;
      }
      const best = Math.max(...sums.values());
      expect(result.answer).not.toBeNull();
      expect(sums.get(result.answer as string)).toBe(best);
      // Table weights are the sums, and every candidate is counted once.
      for (const v of result.votes)
        if (v.answer !== '') expect(v.weight).toBeCloseTo(sums.get(v.answer) ?? NaN, 12);
      expect(result.votes.reduce((k, v) => k + v.count, 0)).toBe(n);
    }
  });

  it('naive picks the single highest score', () => {
    const r = naiveBestOfN(split);
    expect(r.winner?.id).toBe('b');
    expect(r.answer).toBe('8');
    const r2 = naiveBestOfN([cand('x', '1', 0.3), cand('y', '2', 0.95), cand('z', '1', 0.9)]);
    expect(r2.winner?.id).toBe('y');
  });

  it('solutions without an answer never win while an answered one exists', () => {
    const c = [cand('a', null, 1), cand('b', null, 1), cand('c', null, 1), cand('d', '5', 0.01)];
    for (const m of ['naive', 'majority', 'weighted'] as const) {
      const r = selectAnswer(c, m);
      expect(r.answer).toBe('5');
      expect(r.winner?.id).toBe('d');
      // Still reported, last.
      expect(r.votes[r.votes.length - 1]?.answer).toBe('');
      expect(r.votes[r.votes.length - 1]?.count).toBe(3);
    }
  });

  it('all unanswered: no answer, winner is still reported; empty: nothing', () => {
    const r = bestOfNWeighted([cand('a', null, 0.1), cand('b', null, 0.4)]);
    expect(r.answer).toBeNull();
    expect(r.correct).toBe(false);
    expect(r.winner?.id).toBe('b');
    const e = majorityVote([]);
    expect(e).toEqual({ winner: null, answer: null, correct: false, votes: [] });
  });

  it('ties break deterministically: larger count, then first appearance', () => {
    // Equal weights 1.0, "3" has more solutions.
    const r = bestOfNWeighted([cand('a', '2', 1.0), cand('b', '3', 0.5), cand('c', '3', 0.5)]);
    expect(r.answer).toBe('3');
    // Equal count and weight: the answer seen first wins, whatever the order of later entries.
    const m = majorityVote([
      cand('a', '9', 0),
      cand('b', '4', 0),
      cand('c', '4', 0),
      cand('d', '9', 0),
    ]);
    expect(m.answer).toBe('9');
    const m2 = majorityVote([
      cand('b', '4', 0),
      cand('a', '9', 0),
      cand('c', '4', 0),
      cand('d', '9', 0),
    ]);
    expect(m2.answer).toBe('4');
    // Equal scores within an answer: the earlier candidate represents it.
    expect(bestOfNWeighted([cand('p', '1', 0.5), cand('q', '1', 0.5)]).winner?.id).toBe('p');
  });
});
