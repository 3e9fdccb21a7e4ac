/**
 * Wires the sweep runner (src/engine/sweep) to the strategy engine: the pool is one best-of-N run
 * at N_max, and each search setting is one `runStrategy` run per budget. The app's worker and the
 * command line share this, so a sweep means the same thing in both.
 */
import { costDelta } from './costs';
import { runToCompletion } from './run';
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

export interface StrategySweepBackendOptions {
  task: Task;
  model: LanguageModel;
  verifier: Verifier | null;
  settings: SweepRunSettings;
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
      const n = Math.max(
        spec.beamWidth,
        Math.floor(budget / (spec.lookahead + 1) / spec.beamWidth) * spec.beamWidth,
      );
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

export function createStrategySweepBackend(
  o: StrategySweepBackendOptions,
): SweepBackend<Problem, SearchSpec> {
  const { task, model, verifier, settings } = o;
  return {
    async samplePool(problem, nMax, seed, signal): Promise<PoolSample[]> {
      const result = await runToCompletion({
        task,
        problem,
        model,
        verifier,
        seed,
        signal,
        config: {
          kind: 'best-of-n',
          n: nMax,
          selection: verifier ? 'weighted' : 'majority',
          temperature: settings.temperature,
          topP: settings.topP,
          aggregation: settings.aggregation,
          maxTokens: settings.solutionMaxTokens,
        },
      });
      const finished = result.events.at(-1);
      if (finished?.type === 'run_finished' && finished.status !== 'completed') {
        throw new Error(finished.error ?? `pool sampling ${finished.status}`);
      }
      const state = replayTrace(result.events);
      const attempts = state.order
        .map((id) => state.nodes[id])
        .filter((n) => n?.kind === 'attempt');
      // Prompt and verifier tokens are shared evenly; generated tokens are each sample's own.
      const promptPerSample = result.costs.promptTokens / Math.max(1, attempts.length);
      const verifierPerSample = result.costs.verifierTokens / Math.max(1, attempts.length);
      return attempts.map((node) => ({
        answer: node?.answer ?? null,
        score: node?.score ?? null,
        correct: node?.correct ?? false,
        costs: costDelta({
          generations: 1,
          promptTokens: promptPerSample,
          generatedTokens: node?.tokens ?? 0,
          verifierTokens: verifierPerSample,
          modelParams: model.parameterCount,
          verifierParams: verifier?.parameterCount ?? 0,
        }),
      }));
    },
    async runSearch(problem, setting, budget, seed, signal): Promise<SearchOutcome> {
      const result = await runToCompletion({
        task,
        problem,
        model,
        verifier,
        seed,
        signal,
        config: configForBudget(setting.config, budget, settings),
      });
      const finished = result.events.at(-1);
      if (finished?.type === 'run_finished' && finished.status !== 'completed') {
        throw new Error(finished.error ?? `search run ${finished.status}`);
      }
      return { answer: result.answer, correct: result.correct, costs: result.costs };
    },
  };
}
