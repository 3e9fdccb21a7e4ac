/**
 * Wires the sweep runner (src/engine/sweep) to the strategy engine: the pool is one best-of-N run
 * at N_max, and each search setting is one `runStrategy` run per budget. The app's worker and the
 * command line share this, so a sweep means the same thing in both.
 */
import { costDelta } from './costs';
import { runToCompletion, type RunResult } from './run';
import type { PoolSample, SearchOutcome, SearchSetting, SweepBackend } from './sweep';
import { replayTrace } from './trace/reducer';
import type { Aggregation, LanguageModel, Problem, StrategyConfig, Task, Verifier } from './types';

/** Settings every run of a sweep shares. */
export interface SweepRunSettings {
  temperature: number;
  topP: number;
  aggregation: Aggregation;
  /** Token cap for a whole solution (best-of-N, revisions). */
  solutionMaxTokens: number;
  /** Token cap for one step (beam search, lookahead, DVTS). */
  stepMaxTokens: number;
  maxRounds: number;
}

/** A search setting's shape, without the budget-dependent N. */
export type SearchSpec =
  | { kind: 'beam'; beamWidth: number }
  | { kind: 'dvts'; beamWidth: number }
  | { kind: 'lookahead'; beamWidth: number; lookahead: number }
  /** Sequential revisions with chains of `chainLength` attempts (capped at the budget). */
  | { kind: 'revisions'; chainLength: number; selection: 'verifier' | 'majority' };

export interface StrategySweepBackendOptions<S> {
  task: Task;
  model: LanguageModel;
  verifier: Verifier | null;
  /** The best-of-N config whose run is a problem's pool of `nMax` samples. */
  poolConfig(problem: Problem, nMax: number): StrategyConfig;
  /** The config of search setting `spec` that spends `budget` generations on `problem`. */
  searchConfig(spec: S, budget: number, problem: Problem): StrategyConfig;
}

/** Config mappers for settings shared by every problem (the command line's sweeps). */
export function fixedSweepConfigs(
  s: SweepRunSettings,
  selection: 'weighted' | 'majority',
): Pick<StrategySweepBackendOptions<SearchSpec>, 'poolConfig' | 'searchConfig'> {
  return {
    poolConfig: (_problem, nMax) => ({
      kind: 'best-of-n',
      n: nMax,
      selection,
      temperature: s.temperature,
      topP: s.topP,
      aggregation: s.aggregation,
      maxTokens: s.solutionMaxTokens,
    }),
    searchConfig: (spec, budget) => configForBudget(spec, budget, s),
  };
}

/**
 * The pool samples of a finished best-of-N run, one per lane: its answer, verifier score and
 * cost (its own generated tokens; prompt and verifier tokens shared evenly).
 * @throws when the run did not complete (cancelled or failed)
 */
export function poolSamplesFromRun(
  result: RunResult,
  modelParams: number,
  verifierParams: number,
): PoolSample[] {
  if (result.status !== 'completed') {
    throw new Error(`sampling the pool ${result.status}${result.error ? `: ${result.error}` : ''}`);
  }
  const state = replayTrace(result.events);
  const lanes = state.order
    .map((id) => state.nodes[id])
    .filter((n): n is NonNullable<typeof n> => n !== undefined && n.kind === 'attempt');
  const share = 1 / Math.max(1, lanes.length);
  return lanes.map((node) => ({
    answer: node.answer ?? null,
    score: node.score ?? null,
    correct: node.correct ?? false,
    costs: costDelta({
      generations: 1,
      promptTokens: result.costs.promptTokens * share,
      generatedTokens: node.tokens,
      verifierTokens: result.costs.verifierTokens * share,
      modelParams,
      verifierParams,
    }),
  }));
}

/** A search setting with a readable label and the smallest budget it can run at. */
export function searchSetting(spec: SearchSpec): SearchSetting<SearchSpec> {
  switch (spec.kind) {
    case 'beam':
      return {
        kind: 'search',
        id: `beam-m${spec.beamWidth}`,
        label: `Beam search M=${spec.beamWidth}`,
        config: spec,
        minBudget: spec.beamWidth,
      };
    case 'dvts':
      return {
        kind: 'search',
        id: `dvts-m${spec.beamWidth}`,
        label: `DVTS M=${spec.beamWidth}`,
        config: spec,
        minBudget: spec.beamWidth,
      };
    case 'lookahead':
      return {
        kind: 'search',
        id: `lookahead-m${spec.beamWidth}-k${spec.lookahead}`,
        label: `Lookahead M=${spec.beamWidth} k=${spec.lookahead}`,
        config: spec,
        minBudget: spec.beamWidth * (spec.lookahead + 1),
      };
    case 'revisions':
      return {
        kind: 'search',
        id: `revisions-l${spec.chainLength}-${spec.selection}`,
        label: `Revisions, chains of ${spec.chainLength}`,
        config: spec,
      };
  }
}

/**
 * Lookahead's N for a budget in generations: it costs N x (k+1), so N is the largest multiple of
 * the beam width M with N x (k+1) <= budget (at least M; budgets below M x (k+1) overspend, which
 * is why a sweep's lookahead setting starts at that budget). The app and the CLI both use this.
 */
export function lookaheadN(budget: number, lookahead: number, beamWidth: number): number {
  return Math.max(beamWidth, Math.floor(budget / (lookahead + 1) / beamWidth) * beamWidth);
}

/**
 * The strategy config that spends `budget` generations. Lookahead costs N x (k+1) generations, so
 * its N is the largest multiple of M with N x (k+1) <= budget.
 */
export function configForBudget(
  spec: SearchSpec,
  budget: number,
  s: SweepRunSettings,
): StrategyConfig {
  const common = { temperature: s.temperature, topP: s.topP, aggregation: s.aggregation };
  switch (spec.kind) {
    case 'beam':
    case 'dvts':
      return {
        ...common,
        kind: spec.kind,
        n: budget,
        beamWidth: spec.beamWidth,
        maxRounds: s.maxRounds,
        maxTokens: s.stepMaxTokens,
      };
    case 'lookahead': {
      const n = lookaheadN(budget, spec.lookahead, spec.beamWidth);
      return {
        ...common,
        kind: 'lookahead',
        n,
        beamWidth: spec.beamWidth,
        lookahead: spec.lookahead,
        maxRounds: s.maxRounds,
        maxTokens: s.stepMaxTokens,
      };
    }
    case 'revisions': {
      const length = Math.min(spec.chainLength, budget);
      return {
        ...common,
        kind: 'revisions',
        n: budget,
        chains: budget / length,
        selection: spec.selection,
        maxTokens: s.solutionMaxTokens,
      };
    }
  }
}

/**
 * A SweepBackend that runs the engine's strategies: the pool is one best-of-N run at N_max, and a
 * search setting is one run per budget.
 */
export function createStrategySweepBackend<S>(
  o: StrategySweepBackendOptions<S>,
): SweepBackend<Problem, S> {
  const { task, model, verifier } = o;
  const run = (problem: Problem, config: StrategyConfig, seed: number, signal: AbortSignal) =>
    runToCompletion({ task, problem, model, verifier, seed, signal, config });
  return {
    async samplePool(problem, nMax, seed, signal): Promise<PoolSample[]> {
      const result = await run(problem, o.poolConfig(problem, nMax), seed, signal);
      return poolSamplesFromRun(result, model.parameterCount, verifier?.parameterCount ?? 0);
    },
    async runSearch(problem, setting, budget, seed, signal): Promise<SearchOutcome> {
      const config = o.searchConfig(setting.config, budget, problem);
      const result = await run(problem, config, seed, signal);
      if (result.status !== 'completed') {
        const why = result.error ? `: ${result.error}` : '';
        throw new Error(`${setting.label} at N=${budget} ${result.status}${why}`);
      }
      return { answer: result.answer, correct: result.correct, costs: result.costs };
    },
    // A generation's token cap, squared: longer problems cost more per generation, and more than
    // in proportion (longer contexts; beam search re-scores ever longer prefixes). On the CPU
    // path, the time per generation from level 2 to 5 (caps 96 -> 240) grew 4.1x for the pool,
    // 9.2x for beam search and 5.5x for revisions; 6.3x for the squared cap. Used for the time
    // left only.
    workWeight: (problem) => o.poolConfig(problem, 1).maxTokens ** 2,
  };
}
