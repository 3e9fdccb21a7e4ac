import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createMath500Task,
  math500ProblemId,
  parseMath500Jsonl,
  type Math500Data,
} from './math500';

const file = readFileSync(
  new URL('../../../public/data/math500/test.jsonl', import.meta.url),
  'utf8',
);

describe('parseMath500Jsonl', () => {
  const problems = parseMath500Jsonl(file);

  it('reads all 500 problems with the dataset levels and unique ids', () => {
    expect(problems).toHaveLength(500);
    expect([1, 2, 3, 4, 5].map((l) => problems.filter((p) => p.level === l).length)).toEqual([
      43, 90, 105, 128, 134,
    ]);
    expect(new Set(problems.map((p) => p.id)).size).toBe(500);
  });

  it('keeps the raw answer and stores the normalised one', () => {
    const polar = problems.find((p) => p.id === 'math-precalculus-807');
    expect(polar?.answer).toBe('(3,\\frac{\\pi}{2})');
    expect((polar?.data as Math500Data).rawAnswer).toBe('\\left( 3, \\frac{\\pi}{2} \\right)');
    expect((polar?.data as Math500Data).subject).toBe('Precalculus');
  });

  it('rejects a level outside 1..5', () => {
    const row = {
      problem: 'p',
      solution: 's',
      answer: '1',
      subject: 'Algebra',
      level: 6,
      unique_id: 'test/algebra/1.json',
    };
    expect(() => parseMath500Jsonl(JSON.stringify(row))).toThrow(/level 6/);
  });

  it('makes link-friendly ids from unique_id', () => {
    expect(math500ProblemId('test/intermediate_algebra/1994.json')).toBe(
      'math-intermediate_algebra-1994',
    );
    expect(math500ProblemId('odd id')).toBe('math-odd-id');
  });
});

describe('math500Task', () => {
  const task = createMath500Task(parseMath500Jsonl(file));

  it('grades the reference solutions of every problem as correct', () => {
    const wrong = task
      .problems()
      .filter((p) => !task.isCorrect(p, task.extractAnswer((p.data as Math500Data).solution)));
    expect(wrong.map((p) => p.id)).toEqual([]);
  });

  it('grades an equivalent form as correct and a different value as wrong', () => {
    const polar = task.problemById('math-precalculus-807');
    if (!polar) throw new Error('fixture missing');
    expect(task.isCorrect(polar, '(3, \\pi/2)')).toBe(true);
    expect(task.isCorrect(polar, '(3, \\pi)')).toBe(false);
  });

  it('sizes typical solution lengths by level', () => {
    expect(task.typicalSteps(1)).toBeLessThan(task.typicalSteps(5));
    expect(task.levels).toBe(5);
  });
});
