/**
 * Which model runs, and which combinations of model, task and verifier make sense. Pure
 * functions: the controller refuses a run they rule out, the controls label and disable with
 * them, and the worker checks the same rule again.
 *
 * - TinyMath reads only its compact arithmetic format, and its PRM was trained on it.
 * - A WebLLM chat model reads the GSM8K and MATH-500 chat prompts; fed "Q:37,+45" it would
 *   only guess at a format it never saw, so the arithmetic task stays TinyMath's.
 * - "Learned verifier" means the active model's own: TinyMath's PRM, or the WebLLM model asked
 *   as a judge (LLM-as-judge PRM). "Oracle" is the exact step checker for arithmetic and the
 *   final-answer check against the reference for the benchmarks (an upper bound only).
 */
import type { ActiveModel } from '../store/slices/modelSlice';
import type { VerifierChoice } from '../store/settings';
import { TASKS, type ModelFamily } from './tasks';

/** The model family of the active model. */
export function familyOf(model: ActiveModel): ModelFamily {
  return model.kind === 'webllm' ? 'chat' : 'tinymath';
}

/** A key that changes whenever runs would use a different model. */
export function activeModelKey(model: ActiveModel): string {
  return model.kind === 'webllm' ? `webllm:${model.info.modelId}` : 'tinymath';
}

/**
 * Why a task cannot run on the active model, in words for the user; null when it can.
 * @param taskId the task of the run or sweep
 * @param model the model the app runs now
 */
export function taskModelMismatch(taskId: string, model: ActiveModel): string | null {
  const entry = TASKS[taskId];
  if (!entry) return `Unknown task "${taskId}".`;
  if (entry.modelFamily === familyOf(model)) return null;
  if (entry.modelFamily === 'chat') {
    return (
      `${entry.shortLabel} needs a real chat model: TinyMath only reads its own arithmetic ` +
      'format. Load one under "Real models (WebLLM)", or pick the TinyMath arithmetic task.'
    );
  }
  const label = model.kind === 'webllm' ? model.info.label : 'A WebLLM model';
  return (
    `${label} cannot read TinyMath's compact arithmetic format; that task is TinyMath's. ` +
    'Pick GSM8K or MATH-500, or go back to TinyMath.'
  );
}

export interface VerifierOption {
  value: VerifierChoice;
  label: string;
}

/**
 * The verifier choices with what each means for this model and task.
 * @param model the active model
 * @param taskId the run's task
 */
export function verifierOptions(model: ActiveModel, taskId: string): VerifierOption[] {
  const hasStepChecker = TASKS[taskId]?.task.checkSteps !== undefined;
  const learned =
    model.kind === 'webllm'
      ? `LLM-as-judge PRM (${model.info.label})`
      : TASKS[taskId]?.modelFamily === 'chat'
        ? 'LLM-as-judge PRM (needs a WebLLM model)'
        : 'Learned PRM (TinyMath)';
  return [
    { value: 'prm', label: learned },
    {
      value: 'oracle',
      label: hasStepChecker
        ? 'Oracle step checker (exact)'
        : 'Oracle: final answer vs. reference (upper bound)',
    },
    { value: 'none', label: 'None (majority vote)' },
  ];
}
