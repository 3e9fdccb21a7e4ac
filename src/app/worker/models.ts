import type { LanguageModel, Verifier } from '../../engine/types';
import { oracleVerifier } from '../../engine/verifiers/oracle';
import { finalAnswerOracle } from '../../tasks/answers/oracle';
import { TASKS, type ModelFamily } from '../tasks';
import type { RunRequest } from './protocol';

/**
 * What the worker needs from loaded models: `loadTinyMath`'s result (its generator sends
 * revision prompts to the revision model), or the generator and LLM-as-judge of a WebLLM model
 * (createWebLLMModels).
 */
export interface LoadedModels {
  generator: LanguageModel;
  /** The model's own learned verifier: TinyMath's PRM, or the WebLLM model as judge. */
  prm: Verifier;
  backend: 'cpu' | 'webgpu';
  /** A message for the user about the backend (e.g. no WebGPU, running on the CPU). */
  notice: string | null;
  /** Which task prompts the generator reads; absent means TinyMath. */
  family?: ModelFamily;
  dispose(): void;
}

/** The family of a model pair (TinyMath unless it says otherwise). */
export function familyOfModels(models: LoadedModels): ModelFamily {
  return models.family ?? 'tinymath';
}

/**
 * Why these models cannot run a task, or null. The page already refuses such runs; the worker
 * checks again so that a stale message cannot feed GSM8K to TinyMath.
 */
export function modelTaskMismatch(models: LoadedModels, taskId: string): string | null {
  const entry = TASKS[taskId];
  if (!entry) return `Unknown task "${taskId}"`;
  const family = familyOfModels(models);
  if (entry.modelFamily === family) return null;
  return family === 'tinymath'
    ? `${entry.shortLabel} needs a chat model (WebLLM); TinyMath only reads its arithmetic format.`
    : `${models.generator.label} cannot run ${entry.shortLabel}: that task is TinyMath's.`;
}

/**
 * The verifier a run asked for, built from the loaded models.
 * - 'prm': the models' own learned verifier (TinyMath's PRM only for TinyMath's task);
 * - 'oracle': the exact step checker where the task has one (arith), else the final-answer
 *   oracle (GSM8K, MATH-500: ground truth, an upper bound only);
 * - 'none': no verifier (majority vote).
 * @throws when the combination makes no sense (TinyMath's PRM on a benchmark).
 */
export function verifierFor(
  choice: RunRequest['verifier'],
  models: LoadedModels,
  taskId: string,
): Verifier | null {
  if (choice === 'none') return null;
  const entry = TASKS[taskId];
  if (!entry) throw new Error(`Unknown task "${taskId}"`);
  if (choice === 'prm') {
    const mismatch = modelTaskMismatch(models, taskId);
    if (mismatch) throw new Error(`${models.prm.label}: ${mismatch}`);
    return models.prm;
  }
  return entry.task.checkSteps ? oracleVerifier(entry.task) : finalAnswerOracle(entry.task);
}
