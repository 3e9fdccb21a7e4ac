/**
 * The page's sweep request (what the sweep form asks for) and the records the worker streams back
 * (the engine's own records, stored as they are so a resumed sweep skips them).
 */
import type { StrategyKind } from '../engine/types';
import type { VerifierChoice } from './settings';

export type { SweepRecord } from '../engine/sweep/runner';

export interface SweepRequest {
  taskId: string;
  /** Difficulty levels in the problem set. */
  levels: number[];
  problemsPerLevel: number;
  /** Seed of the problem draw (the same seed gives the same problem set). */
  problemSeed: number;
  /** Largest budget; budgets are 1, 2, 4, ... nMax. */
  nMax: number;
  /** Strategies to compare; best-of-N adds its weighted and majority curves from one pool. */
  strategies: StrategyKind[];
  verifier: Exclude<VerifierChoice, 'none'>;
  /** Seed of the runs. */
  seed: number;
}
