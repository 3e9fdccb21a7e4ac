/**
 * The tasks the app offers, with what the page needs beyond the engine's Task: turning a share
 * link's problem id back into a problem, a short list for the problem picker, and random problems.
 * Used by both the page and the worker (pure TypeScript, no DOM).
 */
import type { Problem, Task } from '../engine/types';
import { arithLevel, arithProblemFromId, arithTask, makeArithProblem } from '../tasks/arith';

export interface TaskEntry {
  task: Task;
  /** The problem a share link names, or null if the id is not one of this task's. */
  problemFromId(id: string): Problem | null;
  /** Problems offered in the picker for `level` (deterministic, so links stay stable). */
  pickerProblems(level: number): Problem[];
  /** A problem drawn from a seed, for "random problem". */
  problemFromSeed(level: number, seed: number): Problem;
  /** Most solution steps (final-answer step included) a problem at `level` needs; sizes token caps. */
  solutionSteps(level: number): number;
}

/** Picker lists are drawn from this fixed seed so everyone sees the same list for a level. */
const PICKER_SEED = 2024;
const PICKER_SIZE = 12;

export const TASKS: Record<string, TaskEntry> = {
  arith: {
    task: arithTask,
    problemFromId: arithProblemFromId,
    pickerProblems: (level) => arithTask.sampleProblems(level, PICKER_SIZE, PICKER_SEED),
    problemFromSeed: (level, seed) => makeArithProblem(level, seed),
    solutionSteps: (level) => arithLevel(level).steps + 1,
  },
};

export const TASK_IDS = Object.keys(TASKS);

/** The entry for a task id; throws for an unknown id (callers validate ids from links first). */
export function taskEntry(taskId: string): TaskEntry {
  const entry = TASKS[taskId];
  if (!entry) throw new Error(`Unknown task "${taskId}"`);
  return entry;
}
