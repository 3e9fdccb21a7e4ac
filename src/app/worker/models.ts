import type { LanguageModel, Verifier } from '../../engine/types';
import { oracleVerifier } from '../../engine/verifiers/oracle';
import { TASKS } from '../tasks';
import type { RunRequest } from './protocol';

/** What the worker needs from a loaded model pair (the shape `loadTinyMath` resolves to). */
export interface LoadedModels {
  generator: LanguageModel;
  prm: Verifier;
  backend: 'cpu' | 'webgpu';
  /** A message for the user about the backend (e.g. no WebGPU, running on the CPU). */
  notice: string | null;
  dispose(): void;
}

/** The verifier a run asked for, built from the loaded models. */
export function verifierFor(
  choice: RunRequest['verifier'],
  models: LoadedModels,
  taskId: string,
): Verifier | null {
  if (choice === 'none') return null;
  if (choice === 'prm') return models.prm;
  const entry = TASKS[taskId];
  if (!entry) throw new Error(`Unknown task "${taskId}"`);
  return oracleVerifier(entry.task);
}
