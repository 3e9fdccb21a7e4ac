/**
 * MATH-500: the 500-problem test subset of MATH (Hendrycks et al. 2021; MIT licence) used by
 * Lightman et al. 2023, "Let's Verify Step by Step". Competition problems in seven subjects with
 * the dataset's own difficulty levels 1-5. The app ships all 500 under public/data/math500/ and
 * fetches them at run time.
 */
import type { Problem } from '../../engine/types';
import {
  createBenchmarkTask,
  parseJsonLines,
  type BenchmarkTask,
  type BenchmarkTaskSpec,
} from '../answers/benchmark';
import { normalizeAnswerText } from '../answers/normalize';

export const MATH500_TASK_ID = 'math500';
export const MATH500_DATA_PATH = 'data/math500/test.jsonl';

export interface Math500Row {
  problem: string;
  solution: string;
  /** The content of the last `\boxed{}` in the solution. */
  answer: string;
  subject: string;
  level: number;
  /** For example "test/precalculus/807.json". */
  unique_id: string;
}

export interface Math500Data {
  subject: string;
  uniqueId: string;
  /** The reference solution (LaTeX). */
  solution: string;
  /** The reference answer as the dataset writes it (Problem.answer is normalised). */
  rawAnswer: string;
}

function isRow(x: unknown): x is Math500Row {
  const r = x as Partial<Math500Row> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.problem === 'string' &&
    typeof r.answer === 'string' &&
    typeof r.unique_id === 'string' &&
    typeof r.level === 'number'
  );
}

/** A short, link-friendly id from the dataset's unique_id: "test/precalculus/807.json" gives "math-precalculus-807". */
export function math500ProblemId(uniqueId: string): string {
  const m = /^(?:test|train)\/([^/]+)\/(\d+)\.json$/.exec(uniqueId);
  return m ? `math-${m[1]}-${m[2]}` : `math-${uniqueId.replace(/[^a-zA-Z0-9]+/g, '-')}`;
}

/**
 * Parse MATH-500 JSONL into problems.
 * @param text The file's text.
 * @throws On a line that is not JSON, lacks a field, or has a level outside 1..5.
 */
export function parseMath500Jsonl(text: string): Problem[] {
  return parseJsonLines(text, 'MATH-500').map((row, line) => {
    if (!isRow(row))
      throw new Error(`MATH-500: row ${line + 1} lacks problem, answer, level or unique_id`);
    if (!Number.isInteger(row.level) || row.level < 1 || row.level > 5) {
      throw new Error(`MATH-500: row ${line + 1} has level ${row.level} (expected 1..5)`);
    }
    const data: Math500Data = {
      subject: row.subject,
      uniqueId: row.unique_id,
      solution: row.solution,
      rawAnswer: row.answer,
    };
    return {
      id: math500ProblemId(row.unique_id),
      taskId: MATH500_TASK_ID,
      level: row.level,
      question: row.problem.trim(),
      answer: normalizeAnswerText(row.answer),
      data,
    };
  });
}

export const MATH500_SPEC: BenchmarkTaskSpec = {
  id: MATH500_TASK_ID,
  label: 'MATH-500 (competition mathematics)',
  levels: 5,
  instructions:
    'Solve the following math problem. Reason step by step: write each step as one short ' +
    'paragraph, with a blank line between steps. In the last paragraph, put the final answer ' +
    'in simplest form in \\boxed{}.',
  dataPath: MATH500_DATA_PATH,
  parse: parseMath500Jsonl,
  typicalSteps: [6, 8, 10, 12, 15],
};

/**
 * Make a MATH-500 task over the given problems (tests and the command line read the file).
 * @param problems Parsed with parseMath500Jsonl; omit them to `load()` later.
 */
export function createMath500Task(problems?: readonly Problem[]): BenchmarkTask {
  return createBenchmarkTask(MATH500_SPEC, problems);
}

/** The app's MATH-500 task. Call `await math500Task.load({ baseUrl })` before sampling problems. */
export const math500Task: BenchmarkTask = createMath500Task();
