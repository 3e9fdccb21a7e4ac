import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BenchmarkTask } from '../tasks/answers/benchmark';
import { parseMath500Jsonl } from '../tasks/math500';
import { TASKS, taskEntry } from './tasks';

describe('app tasks', () => {
  it('offers arithmetic, GSM8K and MATH-500, each with its own levels and level names', () => {
    expect(Object.keys(TASKS)).toEqual(['arith', 'gsm8k', 'math500']);
    expect(taskEntry('arith').task.levels).toBe(7);
    expect(taskEntry('gsm8k').task.levels).toBe(5);
    expect(taskEntry('arith').levelLabel(1)).toBe('Level 1 (1 operation)');
    expect(taskEntry('arith').levelLabel(3)).toBe('Level 3 (4 operations)');
    expect(taskEntry('arith').levelLabel(6)).toBe('Level 6 (10 operations)');
    expect(taskEntry('arith').levelLabel(7)).toBe('Level 7 (16 operations)');
    expect(taskEntry('gsm8k').levelLabel(5)).toMatch(/6\+ steps/);
    expect(taskEntry('math500').levelLabel(2)).toMatch(/MATH/);
  });

  it('a fetched task has no problems until loaded, but recognises its own ids', () => {
    const math = taskEntry('math500');
    expect(math.isReady()).toBe(false);
    expect(math.pickerProblems(1)).toEqual([]);
    expect(math.problemFromSeed(1, 5)).toBeNull();
    expect(math.ownsProblemId('math-intermediate_algebra-1000')).toBe(true);
    expect(math.ownsProblemId('gsm8k-12')).toBe(false);
    expect(taskEntry('gsm8k').ownsProblemId('gsm8k-12')).toBe(true);
    expect(taskEntry('arith').ownsProblemId('gsm8k-12')).toBe(false);
  });

  it('after loading, the picker lists twelve problems of the level, the same every time', async () => {
    const text = readFileSync(
      new URL('../../public/data/math500/test.jsonl', import.meta.url),
      'utf8',
    );
    const math = taskEntry('math500');
    let fetched = '';
    await (math.task as BenchmarkTask).load({
      baseUrl: 'http://localhost/',
      fetch: async (url) => {
        fetched = String(url);
        return new Response(text);
      },
    });
    expect(fetched).toBe('http://localhost/data/math500/test.jsonl');
    expect(math.isReady()).toBe(true);
    const list = math.pickerProblems(3);
    expect(list).toHaveLength(12);
    expect(list.every((p) => p.level === 3)).toBe(true);
    expect(math.pickerProblems(3)).toEqual(list);
    const first = list[0]!;
    expect(math.problemFromId(first.id)).toEqual(first);
    expect(parseMath500Jsonl(text).some((p) => p.id === first.id)).toBe(true);
    expect(math.problemFromSeed(3, 7)?.level).toBe(3);
  });
});
