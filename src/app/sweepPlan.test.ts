import { describe, expect, it } from 'vitest';
import { configForBudget, lookaheadN } from '../engine/sweepBackend';
import type { SweepRequest } from '../store/sweepTypes';
import { arithTask } from '../tasks/arith';
import { searchConfig, sweepProblems, sweepSettings, type SearchPlan } from './sweepPlan';

const request: SweepRequest = {
  taskId: 'arith',
  levels: [2],
  problemsPerLevel: 1,
  problemSeed: 1,
  nMax: 32,
  strategies: ['best-of-n', 'lookahead', 'beam'],
  verifier: 'prm',
  seed: 1,
};

describe('sweep plan', () => {
  const problem = sweepProblems(request)[0]!;
  const lookahead = sweepSettings(request).find((s) => s.id === 'lookahead');
  const plan = lookahead?.kind === 'search' ? (lookahead.config as SearchPlan) : undefined;

  it('gives lookahead the same N for a budget as the engine and the CLI', () => {
    expect(plan).toBeDefined();
    for (const budget of [8, 12, 16, 24, 32]) {
      const app = searchConfig(plan!, budget, problem, request);
      const engine = configForBudget(
        { kind: 'lookahead', beamWidth: plan!.beamWidth, lookahead: plan!.lookahead },
        budget,
        {
          temperature: 1,
          topP: 1,
          aggregation: 'last',
          maxRounds: 40,
          stepMaxTokens: 32,
          solutionMaxTokens: 160,
        },
      );
      expect(app.kind).toBe('lookahead');
      expect(app.kind === 'lookahead' && app.n).toBe(engine.kind === 'lookahead' && engine.n);
    }
  });

  it('orders the problems in rounds of one per level, the same set as level by level', () => {
    const r = { ...request, levels: [1, 3, 5], problemsPerLevel: 3 };
    const problems = sweepProblems(r);
    expect(problems.map((p) => p.level)).toEqual([1, 3, 5, 1, 3, 5, 1, 3, 5]);
    const byLevel = r.levels.flatMap((l) => arithTask.sampleProblems(l, 3, r.problemSeed));
    expect(problems.map((p) => p.id).sort()).toEqual(byLevel.map((p) => p.id).sort());
  });

  it('never lets lookahead spend more than its budget from its smallest budget up', () => {
    const k = plan!.lookahead;
    const m = plan!.beamWidth;
    expect(lookahead?.kind === 'search' && lookahead.minBudget).toBe(m * (k + 1));
    for (let budget = m * (k + 1); budget <= 64; budget++) {
      const n = lookaheadN(budget, k, m);
      expect(n % m).toBe(0);
      expect(n * (k + 1)).toBeLessThanOrEqual(budget);
      // and it is the largest such N
      expect((n + m) * (k + 1)).toBeGreaterThan(budget);
    }
  });
});
