import { describe, expect, it } from 'vitest';
import {
  ARITH_LEVELS,
  ATTEMPT_SEPARATOR,
  applyOp,
  arithProblemFromId,
  arithTask,
  canonicalSolution,
  checkArithSteps,
  generateArith,
  makeArithProblem,
  type ArithData,
} from './arith';

describe('arith task', () => {
  it('generates the same problem for the same seed and different ones for other seeds', () => {
    expect(generateArith(3, 42)).toEqual(generateArith(3, 42));
    const distinct = new Set(
      Array.from({ length: 50 }, (_, s) => JSON.stringify(generateArith(3, s))),
    );
    expect(distinct.size).toBeGreaterThan(45);
  });

  it('keeps every intermediate value within the level range, with the level chain length', () => {
    for (const spec of ARITH_LEVELS) {
      for (let seed = 0; seed < 200; seed++) {
        const data = generateArith(spec.level, seed);
        expect(data.ops).toHaveLength(spec.steps);
        let v = data.start;
        for (const o of data.ops) {
          v = applyOp(v, o.op, o.operand);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(spec.valueMax);
        }
      }
    }
  });

  it('accepts every step of the canonical solution and grades its answer correct', () => {
    for (let level = 1; level <= arithTask.levels; level++) {
      const p = makeArithProblem(level, 5);
      const solution = canonicalSolution(p.data as ArithData);
      const steps = arithTask.splitSteps(solution);
      expect(steps).toHaveLength((p.data as ArithData).ops.length + 1);
      expect(checkArithSteps(p.data as ArithData, steps).every(Boolean)).toBe(true);
      expect(arithTask.isCorrect(p, arithTask.extractAnswer(solution))).toBe(true);
      expect(arithTask.isFinalStep(steps.at(-1) ?? '')).toBe(true);
    }
  });

  it('flags a wrong step and the steps that break consistency, but not a consistent later step', () => {
    const data: ArithData = {
      start: 37,
      ops: [
        { op: '+', operand: 45 },
        { op: '*', operand: 2 },
      ],
    };
    // Arithmetic error in step 1; step 2 is right given step 1's stated result; answer repeats it.
    expect(checkArithSteps(data, ['37+45=83', '83*2=166', 'A:166'])).toEqual([false, true, true]);
    // Step 2 ignores the previous line's result.
    expect(checkArithSteps(data, ['37+45=82', '80*2=160', 'A:160'])).toEqual([true, false, true]);
    // Wrong operation copied from the question; answer line before all operations are done.
    expect(checkArithSteps(data, ['37-45=-8', 'A:-8'])).toEqual([false, false]);
    // Lines after the answer are never right; garbage is never right.
    expect(checkArithSteps(data, ['37+45=82', '82*2=164', 'A:164', '1+1=2'])).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(checkArithSteps(data, ['hello'])).toEqual([false]);
  });

  it('extracts the last answer line and grades exactly', () => {
    const p = makeArithProblem(1, 3);
    expect(arithTask.extractAnswer('1+2=3\nA:3\n')).toBe('3');
    expect(arithTask.extractAnswer('A:5\nA:007\n')).toBe('7');
    expect(arithTask.extractAnswer('1+2=3\n')).toBeNull();
    expect(arithTask.isCorrect(p, null)).toBe(false);
    expect(arithTask.isCorrect(p, p.answer)).toBe(true);
    expect(arithTask.isCorrect(p, String(Number(p.answer) + 1))).toBe(false);
  });

  it('puts at most the last 4 attempts in a revision prompt, oldest first, then the question', () => {
    const p = makeArithProblem(2, 9);
    const attempts = ['1\nA:1\n', '2\nA:2\n', '3\nA:3\n', '4\nA:4\n', '5\nA:5\n'];
    const prompt = arithTask.formatPrompt(p, attempts);
    expect(prompt.endsWith(arithTask.formatPrompt(p))).toBe(true);
    expect(prompt).not.toContain('A:1');
    expect(prompt.indexOf('A:2')).toBeLessThan(prompt.indexOf('A:5'));
    expect(arithTask.formatPrompt(p)).toMatch(/^Q:[^\n]+\n$/);
  });

  it('puts earlier attempts, each closed by the separator line, before the question', () => {
    const p = makeArithProblem(1, 4);
    const q = arithTask.formatPrompt(p);
    expect(arithTask.formatPrompt(p, ['1+2=3\nA:3\n', '1+2=4\nA:4'])).toBe(
      `1+2=3\nA:3\n${ATTEMPT_SEPARATOR}1+2=4\nA:4\n${ATTEMPT_SEPARATOR}${q}`,
    );
    // The separator is never a step or an answer line, so a grader never reads it as one.
    expect(arithTask.splitSteps(ATTEMPT_SEPARATOR)).toEqual(['-']);
    expect(arithTask.extractAnswer(`A:3\n${ATTEMPT_SEPARATOR}`)).toBe('3');
  });

  it('round-trips problem ids, which share links carry', () => {
    const p = makeArithProblem(4, 123);
    expect(arithProblemFromId(p.id)).toEqual(p);
    expect(arithProblemFromId('arith-L9-1')).toBeNull();
    expect(arithProblemFromId('nonsense')).toBeNull();
  });

  it('describes the problem in words', () => {
    const p = makeArithProblem(2, 1);
    expect(p.question).toMatch(/^Start with \d+, (add|subtract|multiply by) \d+/);
  });
});
