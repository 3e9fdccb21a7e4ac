/**
 * GSM8K (Cobbe et al. 2021, "Training Verifiers to Solve Math Word Problems"; MIT licence):
 * grade-school word problems with integer answers. The app ships a subset of the test split
 * under public/data/gsm8k/ (see scripts/make-data-subsets.ts) and fetches it at run time.
 *
 * Difficulty levels come from the length of the reference solution, one line per step:
 * 2 steps = level 1, 3 = 2, 4 = 3, 5 = 4, 6 or more = 5.
 */
import type { Problem } from '../../engine/types';
import {
  createBenchmarkTask,
  parseJsonLines,
  type BenchmarkTask,
  type BenchmarkTaskSpec,
} from '../answers/benchmark';
import { normalizeAnswerText } from '../answers/normalize';

export const GSM8K_TASK_ID = 'gsm8k';
export const GSM8K_DATA_PATH = 'data/gsm8k/test-subset.jsonl';

/** A row of GSM8K's JSONL, plus the row's index in the full test file (added to our subset). */
export interface Gsm8kRow {
  question: string;
  /** Worked solution: one step per line, `<<a*b=c>>` calculator notes, final line `#### 42`. */
  answer: string;
  index?: number;
}

export interface Gsm8kData {
  /** Row index in the full GSM8K test file. */
  index: number;
  /** The reference solution without calculator notes and without the `####` line. */
  solution: string;
  /** Number of steps (lines) in the reference solution. */
  steps: number;
}

/** Steps of a reference solution: its non-empty lines before `####`. */
export function gsm8kSolutionSteps(answer: string): string[] {
  const lines = answer.split('\n');
  const end = lines.findIndex((l) => l.trimStart().startsWith('####'));
  return (end < 0 ? lines : lines.slice(0, end)).map((l) => l.trim()).filter((l) => l !== '');
}

/** Difficulty level 1..5 from the number of reference steps (2, 3, 4, 5, 6+). */
export function gsm8kLevel(steps: number): number {
  return Math.min(5, Math.max(1, steps - 1));
}

function isRow(x: unknown): x is Gsm8kRow {
  const r = x as Partial<Gsm8kRow> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.question === 'string' &&
    typeof r.answer === 'string'
  );
}

/**
 * Parse GSM8K JSONL (the full test file or our subset) into problems.
 * @param text The file's text.
 * @returns Problems with ids `gsm8k-<row index>`, levels from the reference step count and the
 *   normalised final number as the answer.
 * @throws On a line that is not JSON or lacks `question`/`answer`/`####`.
 */
export function parseGsm8kJsonl(text: string): Problem[] {
  return parseJsonLines(text, 'GSM8K').map((row, line) => {
    if (!isRow(row)) throw new Error(`GSM8K: row ${line + 1} lacks question or answer`);
    const final = /####\s*(.+)\s*$/.exec(row.answer);
    if (!final) throw new Error(`GSM8K: row ${line + 1} has no "####" final answer`);
    const steps = gsm8kSolutionSteps(row.answer);
    const index = row.index ?? line;
    const data: Gsm8kData = {
      index,
      solution: steps.map((s) => s.replace(/<<[^>]*>>/g, '')).join('\n'),
      steps: steps.length,
    };
    return {
      id: `gsm8k-${index}`,
      taskId: GSM8K_TASK_ID,
      level: gsm8kLevel(steps.length),
      question: row.question.trim(),
      answer: normalizeAnswerText(final[1] as string),
      data,
    };
  });
}

export const GSM8K_SPEC: BenchmarkTaskSpec = {
  id: GSM8K_TASK_ID,
  label: 'GSM8K (grade-school word problems)',
  levels: 5,
  instructions:
    'Solve the following math word problem. Reason step by step: write each step as one short ' +
    'paragraph, with a blank line between steps. In the last paragraph, give the final answer ' +
    'as a number in \\boxed{}, for example \\boxed{42}.',
  dataPath: GSM8K_DATA_PATH,
  parse: parseGsm8kJsonl,
  // Reference steps per level, plus the final-answer paragraph and some chat verbosity.
  typicalSteps: [4, 5, 6, 7, 10],
};

/**
 * Make a GSM8K task over the given problems (tests and the command line read the file).
 * @param problems Parsed with parseGsm8kJsonl; omit them to `load()` later.
 */
export function createGsm8kTask(problems?: readonly Problem[]): BenchmarkTask {
  return createBenchmarkTask(GSM8K_SPEC, problems);
}

/** The app's GSM8K task. Call `await gsm8kTask.load({ baseUrl })` before sampling problems. */
export const gsm8kTask: BenchmarkTask = createGsm8kTask();
