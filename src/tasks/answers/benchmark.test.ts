import { describe, expect, it } from 'vitest';
import type { Problem } from '../../engine/types';
import { createBenchmarkTask, splitParagraphs, type BenchmarkTaskSpec } from './benchmark';
import { ASSISTANT_MARK, chatPrompt, splitChatPrompt } from './chatPrompt';
import { finalAnswerOracle, UNDECIDED_SCORE } from './oracle';

const problem = (id: string, level: number, answer: string): Problem => ({
  id,
  taskId: 'toy',
  level,
  question: `Question ${id}?`,
  answer,
});

const spec: BenchmarkTaskSpec = {
  id: 'toy',
  label: 'Toy benchmark',
  levels: 2,
  instructions: 'Solve it.',
  dataPath: 'data/toy.jsonl',
  parse: (text) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Problem),
  typicalSteps: [3, 5],
};

describe('splitParagraphs', () => {
  it('splits at blank lines, also ones holding spaces, and drops empty paragraphs', () => {
    expect(splitParagraphs('a\n\nb\n \nc\n\n\n\nd\n\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitParagraphs('one line\nsame step')).toEqual(['one line\nsame step']);
    expect(splitParagraphs('')).toEqual([]);
  });
});

describe('chat prompts', () => {
  it('splits at the first mark, so a continuation may contain anything', () => {
    const prompt = `${chatPrompt('Solve 1+1.')}Step one.\n\n`;
    expect(splitChatPrompt(prompt)).toEqual({ user: 'Solve 1+1.', reply: 'Step one.\n\n' });
    expect(splitChatPrompt('Q:1,+2\n')).toBeNull();
  });

  it('removes the mark from the user message (quoted attempts cannot move the split)', () => {
    const prompt = chatPrompt(`Earlier attempt:${ASSISTANT_MARK}2`);
    expect(splitChatPrompt(prompt)?.reply).toBe('');
    expect(splitChatPrompt(prompt)?.user).toContain('2');
  });
});

describe('createBenchmarkTask', () => {
  it('loads the problem file once from the base URL and indexes it', async () => {
    const rows = [problem('a', 1, '1'), problem('b', 2, '2'), problem('c', 2, '3')];
    const urls: string[] = [];
    const fetchFn = (async (url: string) => {
      urls.push(url);
      return new Response(rows.map((r) => JSON.stringify(r)).join('\n'));
    }) as unknown as typeof fetch;
    const task = createBenchmarkTask(spec);
    expect(task.isLoaded()).toBe(false);
    const [first, second] = await Promise.all([
      task.load({ baseUrl: 'https://lab.example/app/', fetch: fetchFn }),
      task.load({ baseUrl: 'https://lab.example/app/', fetch: fetchFn }),
    ]);
    expect(urls).toEqual(['https://lab.example/app/data/toy.jsonl']);
    expect(first).toBe(second);
    expect(task.problemsAt(2).map((p) => p.id)).toEqual(['b', 'c']);
    expect(task.problemById('c')?.answer).toBe('3');
    expect(task.problemById('zzz')).toBeNull();
  });

  it('reports a failed fetch with its URL and allows a retry', async () => {
    const task = createBenchmarkTask(spec);
    let calls = 0;
    const fetchFn = (async () => {
      calls++;
      return calls === 1 ? new Response('gone', { status: 404 }) : new Response('');
    }) as unknown as typeof fetch;
    await expect(task.load({ baseUrl: 'https://x.example/', fetch: fetchFn })).rejects.toThrow(
      'https://x.example/data/toy.jsonl answered 404',
    );
    await expect(task.load({ baseUrl: 'https://x.example/', fetch: fetchFn })).resolves.toEqual([]);
  });
});

describe('finalAnswerOracle', () => {
  const task = createBenchmarkTask(spec, [problem('a', 1, '18')]);
  const oracle = finalAnswerOracle(task);
  const p = task.problemById('a') as Problem;

  it('is labelled as the oracle and costs nothing', () => {
    expect(oracle.kind).toBe('oracle');
    expect(oracle.label).toMatch(/oracle/i);
    expect(oracle.parameterCount).toBe(0);
  });

  it('scores complete solutions by their answer and partial ones as undecided', async () => {
    const [right, wrong, partial] = await oracle.scoreSteps([
      { problem: p, steps: ['9 eggs left.', 'So \\boxed{18}.'] },
      { problem: p, steps: ['9 eggs left.', 'So \\boxed{17}.'] },
      { problem: p, steps: ['9 eggs left.'] },
    ]);
    expect(right).toEqual({ stepScores: [1, 1], tokens: 0 });
    expect(wrong).toEqual({ stepScores: [0, 0], tokens: 0 });
    expect(partial).toEqual({ stepScores: [UNDECIDED_SCORE], tokens: 0 });
  });

  it('stops on an aborted signal', async () => {
    await expect(oracle.scoreSteps([], AbortSignal.abort())).rejects.toThrow();
  });
});
