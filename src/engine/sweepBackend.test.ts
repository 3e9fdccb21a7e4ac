import { describe, expect, it } from 'vitest';
import { arithTask, makeArithProblem } from '../tasks/arith';
import {
  configForBudget,
  createStrategySweepBackend,
  fixedSweepConfigs,
  searchSetting,
  type SweepRunSettings,
} from './sweepBackend';
import { runSweep, type SweepRecord } from './sweep';
import { noisyArithSolver, noisyOracleScores, ScriptedModel, scriptedVerifier } from './testing';

const settings: SweepRunSettings = {
  temperature: 1,
  topP: 1,
  aggregation: 'last',
  solutionMaxTokens: 96,
  stepMaxTokens: 24,
  maxRounds: 40,
};

function backend() {
  const model = new ScriptedModel({ script: noisyArithSolver({ stepErrorRate: 0.3 }) });
  const verifier = scriptedVerifier({
    score: noisyOracleScores(arithTask, { noise: 0.2, seed: 3 }),
  });
  return {
    model,
    sweep: createStrategySweepBackend({
      task: arithTask,
      model,
      verifier,
      ...fixedSweepConfigs(settings, 'weighted'),
    }),
  };
}

describe('strategy sweep backend', () => {
  it('samples a pool of N_max graded, scored samples whose costs add up', async () => {
    const { sweep } = backend();
    const problem = makeArithProblem(3, 4);
    const pool = await sweep.samplePool(problem, 8, 1, new AbortController().signal);
    expect(pool).toHaveLength(8);
    for (const s of pool) {
      expect(s.correct).toBe(arithTask.isCorrect(problem, s.answer));
      expect(s.score).not.toBeNull();
      expect(s.costs.generations).toBe(1);
      expect(s.costs.generatedTokens).toBeGreaterThan(0);
    }
    // A noisy solver at 30% step error gets some right and some wrong on a 4-step problem.
    expect(new Set(pool.map((s) => s.correct)).size).toBe(2);
  });

  it('maps a budget to each strategy N, counting lookahead as N x (k+1)', () => {
    const la = configForBudget({ kind: 'lookahead', beamWidth: 4, lookahead: 1 }, 16, settings);
    expect(la).toMatchObject({ kind: 'lookahead', n: 8 });
    const rev = configForBudget(
      { kind: 'revisions', chainLength: 4, selection: 'verifier' },
      16,
      settings,
    );
    expect(rev).toMatchObject({ kind: 'revisions', n: 16, chains: 4 });
    const short = configForBudget(
      { kind: 'revisions', chainLength: 4, selection: 'verifier' },
      2,
      settings,
    );
    expect(short).toMatchObject({ n: 2, chains: 1 });
    expect(searchSetting({ kind: 'lookahead', beamWidth: 4, lookahead: 1 }).minBudget).toBe(8);
  });

  it('runs a small sweep end to end through runSweep', async () => {
    const { sweep } = backend();
    const problems = [makeArithProblem(2, 1), makeArithProblem(3, 2)];
    const records: SweepRecord[] = [];
    for await (const e of runSweep({
      problems,
      budgets: [1, 2, 4],
      settings: [
        { kind: 'pool', id: 'bon-weighted', label: 'Best-of-N weighted', selection: 'weighted' },
        searchSetting({ kind: 'beam', beamWidth: 2 }),
      ],
      backend: sweep,
      seed: 9,
    })) {
      if (e.type === 'record') records.push(e.record);
    }
    const results = records.filter((r) => r.kind === 'result');
    // 2 problems x (3 pool budgets + beam at budgets 2 and 4).
    expect(results).toHaveLength(2 * (3 + 2));
    const beam = results.filter((r) => r.kind === 'result' && r.settingId === 'beam-m2');
    expect(beam.every((r) => r.kind === 'result' && r.costs.generatedTokens > 0)).toBe(true);
  });
});
