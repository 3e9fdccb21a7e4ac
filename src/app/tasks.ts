/**
 * The tasks the app offers, with what the page needs beyond the engine's Task: turning a share
 * link's problem id back into a problem, a short list for the problem picker, random problems,
 * token caps, and which models can read the task's prompts at all.
 * Used by both the page and the worker (pure TypeScript, no DOM).
 *
 * TinyMath's arithmetic is generated from a seed and always ready. GSM8K and MATH-500 are
 * fetched from the app's data folder on first use (`await entry.load(baseUrl)`, in the page and
 * in the worker separately); until then their look-ups return nothing.
 */
import type { Problem, Task } from '../engine/types';
import type { BenchmarkTask } from '../tasks/answers/benchmark';
import {
  arithLevel,
  arithProblemFromId,
  arithTask,
  arithTokenCaps,
  makeArithProblem,
} from '../tasks/arith';
import { gsm8kTask } from '../tasks/gsm8k';
import { math500Task } from '../tasks/math500';

/**
 * Which models can read a task's prompts. TinyMath was trained on the compact arithmetic format
 * only; the benchmarks are chat prompts ("write one step per paragraph, box the answer") that
 * only a chat model (WebLLM) follows.
 */
export type ModelFamily = 'tinymath' | 'chat';

export interface TokenCaps {
  /** Token cap for one step (search strategies generate a step at a time). */
  step: number;
  /** Token cap for one whole solution (best-of-N, revisions). */
  solution: number;
}

export interface TaskEntry {
  task: Task;
  /** A short name for messages ("GSM8K"). */
  shortLabel: string;
  modelFamily: ModelFamily;
  /** Whether the problem set is in memory (arith: always). */
  isReady(): boolean;
  /**
   * Fetch the problem set once (arith: nothing to do).
   * @param baseUrl absolute URL of the folder that holds `data/` (the app's base URL)
   */
  load(baseUrl: string): Promise<void>;
  /** Whether an id has this task's shape, so a link's id survives until the problems load. */
  ownsProblemId(id: string): boolean;
  /** The problem a share link names, or null if the id is not one of this task's (or not loaded). */
  problemFromId(id: string): Problem | null;
  /** Problems offered in the picker for `level` (deterministic, so links stay stable). */
  pickerProblems(level: number): Problem[];
  /** A problem drawn from a seed, for "random problem"; null while the problems are not loaded. */
  problemFromSeed(level: number, seed: number): Problem | null;
  /** Most solution steps (final-answer step included) a problem at `level` needs; sizes search rounds. */
  solutionSteps(level: number): number;
  tokenCaps(level: number): TokenCaps;
  /** What the level select shows ("Level 3 (4 operations)"). */
  levelLabel(level: number): string;
}

/** Picker lists are drawn from this fixed seed so everyone sees the same list for a level. */
const PICKER_SEED = 2024;
const PICKER_SIZE = 12;

/**
 * A chat model's step is a paragraph, and small models are wordy: 256 tokens holds a long MATH
 * step. Whole solutions get about 96 tokens per expected step, capped at 1024 because WebLLM
 * generates one sample at a time and a budget of N pays the cap N times.
 */
const CHAT_STEP_TOKENS = 256;
const CHAT_TOKENS_PER_STEP = 96;
const CHAT_SOLUTION_CAP = 1024;

const arithEntry: TaskEntry = {
  task: arithTask,
  shortLabel: 'TinyMath arithmetic',
  modelFamily: 'tinymath',
  isReady: () => true,
  load: async () => undefined,
  ownsProblemId: (id) => arithProblemFromId(id) !== null,
  problemFromId: arithProblemFromId,
  pickerProblems: (level) => arithTask.sampleProblems(level, PICKER_SIZE, PICKER_SEED),
  problemFromSeed: (level, seed) => makeArithProblem(level, seed),
  solutionSteps: (level) => arithLevel(level).steps + 1,
  tokenCaps: arithTokenCaps,
  levelLabel(level) {
    const ops = arithLevel(level).steps;
    return `Level ${level} (${ops} operation${ops === 1 ? '' : 's'})`;
  },
};

/** A TaskEntry over a fetched benchmark (GSM8K, MATH-500). */
function benchmarkEntry(
  task: BenchmarkTask,
  shortLabel: string,
  idPattern: RegExp,
  levelLabel: (level: number) => string,
): TaskEntry {
  return {
    task,
    shortLabel,
    modelFamily: 'chat',
    isReady: () => task.isLoaded(),
    load: async (baseUrl) => {
      await task.load({ baseUrl });
    },
    ownsProblemId: (id) => idPattern.test(id),
    problemFromId: (id) => task.problemById(id),
    pickerProblems: (level) =>
      task.isLoaded() ? task.sampleProblems(level, PICKER_SIZE, PICKER_SEED) : [],
    problemFromSeed: (level, seed) =>
      task.isLoaded() ? (task.sampleProblems(level, 1, seed)[0] ?? null) : null,
    solutionSteps: (level) => task.typicalSteps(level),
    tokenCaps: (level) => ({
      step: CHAT_STEP_TOKENS,
      solution: Math.min(CHAT_SOLUTION_CAP, CHAT_TOKENS_PER_STEP * (task.typicalSteps(level) + 1)),
    }),
    levelLabel,
  };
}

const GSM8K_LEVEL_STEPS = ['2 steps', '3 steps', '4 steps', '5 steps', '6+ steps'];

export const TASKS: Record<string, TaskEntry> = {
  arith: arithEntry,
  gsm8k: benchmarkEntry(
    gsm8kTask,
    'GSM8K',
    /^gsm8k-\d+$/,
    (level) => `Level ${level} (${GSM8K_LEVEL_STEPS[level - 1] ?? '?'} in the reference)`,
  ),
  math500: benchmarkEntry(
    math500Task,
    'MATH-500',
    /^math-[\w-]+$/,
    (level) => `Level ${level} (MATH's own level)`,
  ),
};

export const TASK_IDS = Object.keys(TASKS);

/** The entry for a task id; throws for an unknown id (callers validate ids from links first). */
export function taskEntry(taskId: string): TaskEntry {
  const entry = TASKS[taskId];
  if (!entry) throw new Error(`Unknown task "${taskId}"`);
  return entry;
}
