/**
 * What a sweep request means for the engine: the problem set, the budgets and the strategy
 * settings. Shared by the worker (to run it) and the page (to label and summarise it).
 */
import {
  interleave,
  type PoolSetting,
  type SearchSetting,
  type SweepSetting,
} from '../engine/sweep/runner';
import { lookaheadN } from '../engine/sweepBackend';
import type { Problem, StrategyConfig, StrategyKind } from '../engine/types';
import { strategyConfigFor, defaultSettings } from '../store/settings';
import type { SweepRequest } from '../store/sweepTypes';
import { taskEntry } from './tasks';

/** A search setting's parameters; the budget fills in N when it runs. */
export interface SearchPlan {
  strategy: Exclude<StrategyKind, 'best-of-n'>;
  beamWidth: number;
  lookahead: number;
  /** Revisions: attempts per chain (capped by the budget); chains = budget / length. */
  chainLength: number;
}

/** Paper's defaults: beam width 4, lookahead k=1 (cost N x 2), revision chains of up to 4 attempts. */
const SEARCH_PLANS: Record<Exclude<StrategyKind, 'best-of-n'>, SearchPlan & { label: string }> = {
  revisions: {
    strategy: 'revisions',
    beamWidth: 4,
    lookahead: 1,
    chainLength: 4,
    label: 'Revisions (chains of 4)',
  },
  beam: { strategy: 'beam', beamWidth: 4, lookahead: 1, chainLength: 4, label: 'Beam search M=4' },
  lookahead: {
    strategy: 'lookahead',
    beamWidth: 4,
    lookahead: 1,
    chainLength: 4,
    label: 'Lookahead k=1, M=4',
  },
  dvts: { strategy: 'dvts', beamWidth: 4, lookahead: 1, chainLength: 4, label: 'DVTS M=4' },
};

/** Budgets 1, 2, 4, ... nMax. */
export function sweepBudgets(nMax: number): number[] {
  const out: number[] = [];
  for (let b = 1; b <= nMax; b *= 2) out.push(b);
  return out;
}

/**
 * The sweep's problems: `problemsPerLevel` at each level, drawn from `problemSeed`, in rounds
 * that take one problem of each level (interleave).
 */
export function sweepProblems(request: SweepRequest): Problem[] {
  const entry = taskEntry(request.taskId);
  return interleave(
    request.levels.map((level) =>
      entry.task.sampleProblems(level, request.problemsPerLevel, request.problemSeed),
    ),
  );
}

/** Strategy settings of a sweep, best-of-N first (it is the baseline of the savings readout). */
export function sweepSettings(request: SweepRequest): SweepSetting<SearchPlan>[] {
  const out: SweepSetting<SearchPlan>[] = [];
  if (request.strategies.includes('best-of-n')) {
    const pools: PoolSetting[] = [
      { kind: 'pool', id: 'bon-weighted', label: 'Best-of-N weighted', selection: 'weighted' },
      { kind: 'pool', id: 'bon-majority', label: 'Majority vote', selection: 'majority' },
    ];
    out.push(...pools);
  }
  for (const kind of ['revisions', 'beam', 'lookahead', 'dvts'] as const) {
    if (!request.strategies.includes(kind)) continue;
    const { label, ...plan } = SEARCH_PLANS[kind];
    const setting: SearchSetting<SearchPlan> = {
      kind: 'search',
      id: kind,
      label,
      config: plan,
      minBudget: minBudgetOf(plan),
    };
    out.push(setting);
  }
  return out;
}

/** Smallest generation budget a plan runs at: N must hold M proposals (and k+1 per lookahead). */
function minBudgetOf(plan: SearchPlan): number {
  if (plan.strategy === 'revisions') return 1;
  if (plan.strategy === 'lookahead') return plan.beamWidth * (plan.lookahead + 1);
  return plan.beamWidth;
}

/**
 * The engine config for one sweep run. For lookahead the budget counts N x (k+1) generations, so
 * N is the engine's lookaheadN: runs of equal budget then spend equal compute.
 */
export function searchConfig(
  plan: SearchPlan,
  budget: number,
  problem: Problem,
  request: SweepRequest,
): StrategyConfig {
  const n =
    plan.strategy === 'lookahead' ? lookaheadN(budget, plan.lookahead, plan.beamWidth) : budget;
  const chainLength = Math.min(plan.chainLength, n);
  return strategyConfigFor({
    ...defaultSettings(),
    task: request.taskId,
    level: problem.level,
    problemId: problem.id,
    strategy: plan.strategy,
    n,
    beamWidth: plan.beamWidth,
    lookahead: plan.lookahead,
    chains: Math.max(1, n / chainLength),
    verifier: request.verifier,
    selection: 'weighted',
  });
}

/** The best-of-N config that samples a problem's pool of N_max solutions. */
export function poolConfig(problem: Problem, nMax: number, request: SweepRequest): StrategyConfig {
  return strategyConfigFor({
    ...defaultSettings(),
    task: request.taskId,
    level: problem.level,
    problemId: problem.id,
    strategy: 'best-of-n',
    n: nMax,
    verifier: request.verifier,
    selection: 'weighted',
  });
}
