import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitChatPrompt } from '../answers/chatPrompt';
import { createGsm8kTask, gsm8kLevel, gsm8kTask, parseGsm8kJsonl, type Gsm8kData } from './gsm8k';

const subset = readFileSync(
  new URL('../../../public/data/gsm8k/test-subset.jsonl', import.meta.url),
  'utf8',
);

describe('parseGsm8kJsonl', () => {
  const problems = parseGsm8kJsonl(subset);

  it('reads the shipped subset: 200 problems, 40 per level, unique ids', () => {
    expect(problems).toHaveLength(200);
    for (let level = 1; level <= 5; level++) {
      expect(problems.filter((p) => p.level === level)).toHaveLength(40);
    }
    expect(new Set(problems.map((p) => p.id)).size).toBe(200);
  });

  it('takes the number after #### as the answer and levels from the step count', () => {
    const janet = problems.find((p) => p.id === 'gsm8k-0');
    expect(janet?.question).toMatch(/^Janet’s ducks lay 16 eggs/);
    expect(janet?.answer).toBe('18');
    const data = janet?.data as Gsm8kData;
    expect(data.steps).toBe(2);
    expect(janet?.level).toBe(1);
    expect(data.solution).not.toContain('<<');
    for (const p of problems) {
      expect(p.level).toBe(gsm8kLevel((p.data as Gsm8kData).steps));
      expect(p.answer).toMatch(/^-?\d+(\.\d+)?$/);
    }
  });

  it('removes thousands separators from reference answers', () => {
    const text = JSON.stringify({ question: 'q?', answer: 'a=<<1+1=2>>2\nb\n#### 1,450,000' });
    expect(parseGsm8kJsonl(text)[0]?.answer).toBe('1450000');
  });

  it('rejects rows without a final answer, naming the row', () => {
    expect(() => parseGsm8kJsonl('{"question":"q","answer":"no final"}')).toThrow(/row 1/);
    expect(() => parseGsm8kJsonl('{"question":"q"')).toThrow(/line 1/);
  });

  it('buckets step counts 2,3,4,5,6+ into levels 1..5', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 11].map(gsm8kLevel)).toEqual([1, 1, 2, 3, 4, 5, 5, 5]);
  });
});

describe('gsm8kTask', () => {
  const task = createGsm8kTask(parseGsm8kJsonl(subset));
  const problem = task.problemById('gsm8k-0');
  if (!problem) throw new Error('fixture problem missing');

  it('prompts a chat model for one step per paragraph and a boxed answer', () => {
    const parts = splitChatPrompt(task.formatPrompt(problem));
    expect(parts?.reply).toBe('');
    expect(parts?.user).toContain('\\boxed{}');
    expect(parts?.user).toContain('blank line between steps');
    expect(parts?.user).toContain(problem.question);
    expect(task.stepDelimiter).toBe('\n\n');
  });

  it('puts up to the last 4 earlier attempts into a revision prompt', () => {
    const attempts = ['A1', 'A2', 'A3', 'A4', 'A5'].map((a) => `${a} step\n\n\\boxed{1}`);
    const user = splitChatPrompt(task.formatPrompt(problem, attempts))?.user ?? '';
    expect(user).not.toContain('A1 step');
    expect(user).toContain('A5 step');
    expect(user).toContain('Attempt 4:');
    expect(user).not.toContain('Attempt 5:');
  });

  it('grades a model solution end to end', () => {
    const solution =
      'Janet has 16 - 3 - 4 = 9 eggs left.\n\nShe makes 9 * 2 = $18.\n\nThe answer is \\boxed{\\$18}.';
    expect(task.splitSteps(solution)).toHaveLength(3);
    expect(task.isFinalStep(task.splitSteps(solution)[2] ?? '')).toBe(true);
    expect(task.isFinalStep('She makes 9 * 2 = $18.')).toBe(false);
    const answer = task.extractAnswer(solution);
    expect(task.normalizeAnswer(answer ?? '')).toBe('18');
    expect(task.isCorrect(problem, answer)).toBe(true);
    expect(task.isCorrect(problem, '19')).toBe(false);
    expect(task.isCorrect(problem, null)).toBe(false);
  });

  it('samples problems of a level deterministically, without repeats', () => {
    const a = task.sampleProblems(3, 10, 7).map((p) => p.id);
    expect(task.sampleProblems(3, 10, 7).map((p) => p.id)).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(task.sampleProblems(3, 10, 8).map((p) => p.id)).not.toEqual(a);
    expect(task.sampleProblems(3, 10, 7).every((p) => p.level === 3)).toBe(true);
    expect(task.sampleProblems(3, 1000, 7)).toHaveLength(40);
  });

  it('the app singleton refuses to sample before its problems are loaded', () => {
    expect(gsm8kTask.isLoaded()).toBe(false);
    expect(() => gsm8kTask.sampleProblems(1, 1, 1)).toThrow(/not loaded/);
  });
});
