import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/engine/random';
import { arithTask, generateArith, type ArithData } from '../src/tasks/arith';
import {
  solutionVariants,
  writeArithData,
  type ArithRecord,
  type CheckerCase,
} from './export-arith-data';

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

describe('export-arith-data', () => {
  const out = mkdtempSync(join(tmpdir(), 'arith-data-'));
  const meta = writeArithData({ out, trainPerLevel: 300, evalPerLevel: 20, checkerCases: 25 });
  const train = readJsonl<ArithRecord>(join(out, 'train.jsonl'));
  const evalRows = readJsonl<ArithRecord>(join(out, 'eval.jsonl'));
  const cases = readJsonl<CheckerCase>(join(out, 'checker.jsonl'));
  // Each run wrote 1.5 MB under the temporary folder and left it there.
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('keeps every eval question out of the training set', () => {
    const held = new Set(evalRows.map((r) => r.prompt));
    expect(train.some((r) => held.has(r.prompt))).toBe(false);
    // Level 1 is small enough that the seeds alone would collide.
    expect(meta.droppedFromTrain).toBeGreaterThan(0);
    expect(train.length + meta.droppedFromTrain).toBe(300 * arithTask.levels);
    expect(evalRows.length).toBe(20 * arithTask.levels);
  });

  it('writes records that agree with the task: prompt, solution, answer', () => {
    for (const r of [...train.slice(0, 200), ...evalRows]) {
      const problem = {
        id: r.id,
        taskId: 'arith',
        level: r.level,
        question: '',
        answer: r.answer,
        data: { start: r.start, ops: r.ops },
      };
      expect(r.prompt).toBe(arithTask.formatPrompt(problem));
      expect(arithTask.extractAnswer(r.solution)).toBe(r.answer);
      expect(arithTask.checkSteps?.(problem, arithTask.splitSteps(r.solution)).every(Boolean)).toBe(
        true,
      );
    }
  });

  it('labels wrong solutions with the checker verdicts, including right answers through wrong steps', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(10);
    expect(
      cases
        .filter((c) => c.kind === 'canonical')
        .every((c) => c.correct && c.verdicts.every(Boolean)),
    ).toBe(true);
    expect(
      cases
        .filter((c) => c.kind === 'slip-carried')
        .every((c) => !c.correct && c.verdicts.includes(false)),
    ).toBe(true);
    expect(
      cases.some((c) => c.kind === 'slip-recovered' && c.correct && c.verdicts.includes(false)),
    ).toBe(true);
  });

  it('makes variants that differ from the canonical solution', () => {
    const data: ArithData = generateArith(4, 7);
    const variants = solutionVariants(data, new Rng(1));
    const canonical = variants.find((v) => v.kind === 'canonical')?.solution;
    for (const v of variants.filter((x) => x.kind !== 'canonical'))
      expect(v.solution).not.toBe(canonical);
  });
});
