import { describe, it, expect } from 'vitest';
import { oracleVerifier } from './oracle';
import { arithTask, canonicalSolution, makeArithProblem, type ArithData } from '../../tasks/arith';
import type { Task } from '../types';

describe('oracleVerifier', () => {
  const problem = makeArithProblem(3, 7);
  const steps = arithTask.splitSteps(canonicalSolution(problem.data as ArithData));

  it('is labelled as an oracle and costs nothing', async () => {
    const v = oracleVerifier(arithTask);
    expect(v.kind).toBe('oracle');
    expect(v.label.toLowerCase()).toContain('oracle');
    expect(v.parameterCount).toBe(0);
    const [r] = await v.scoreSteps([{ problem, steps }]);
    expect(r?.tokens).toBe(0);
    expect(r?.stepScores).toEqual(steps.map(() => 1));
  });

  it('scores prefix correctness: everything after the first wrong step is 0', async () => {
    const v = oracleVerifier(arithTask);
    // Break step 1's result; step 2 then starts from the wrong value (consistent with step 1, so
    // the per-step checker may accept it), but the prefix is already off track.
    const broken = steps.slice();
    const m = /^(.*)=(-?\d+)$/.exec(broken[1] ?? '');
    expect(m).not.toBeNull();
    const wrong = Number(m?.[2]) + 1;
    broken[1] = `${m?.[1]}=${wrong}`;
    const [r] = await v.scoreSteps([{ problem, steps: broken }]);
    expect(r?.stepScores[0]).toBe(1);
    expect(r?.stepScores.slice(1).every((s) => s === 0)).toBe(true);
    expect(r?.stepScores).toHaveLength(broken.length);
  });

  it('throws a clear error for a task without a checker', () => {
    const { checkSteps: _drop, ...rest } = arithTask;
    const noChecker: Task = { ...rest, id: 'plain' };
    expect(() => oracleVerifier(noChecker)).toThrow(/no exact step checker/);
  });
});
