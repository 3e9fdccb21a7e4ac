/**
 * Ready-made run contexts on the arith task with the scripted backend, for engine tests and demos.
 */
import { arithTask, makeArithProblem } from '../../tasks/arith';
import type { ModelCapabilities, Problem, RunContext, StrategyConfig, Verifier } from '../types';
import { oracleVerifier } from '../verifiers/oracle';
import { noisyArithSolver, noisyOracleScores, scriptedVerifier } from './arithScripts';
import { ScriptedModel, type ScriptedModelOptions } from './scriptedModel';

export interface ArithHarnessOptions {
  config: StrategyConfig;
  seed?: number;
  level?: number;
  problemSeed?: number;
  stepErrorRate?: number;
  revisionErrorFactor?: number;
  /** 'noisy' (default): oracle blurred by seeded noise; 'oracle'; 'none'; or a Verifier. */
  verifier?: 'noisy' | 'oracle' | 'none' | Verifier;
  verifierNoise?: number;
  capabilities?: Partial<ModelCapabilities>;
  abortMode?: ScriptedModelOptions['abortMode'];
  onGenerate?: ScriptedModelOptions['onGenerate'];
  signal?: AbortSignal;
}

export interface ArithHarness {
  ctx: RunContext;
  model: ScriptedModel;
  problem: Problem;
}

/** A RunContext on one arith problem, driven by noisyArithSolver through a ScriptedModel. */
export function arithHarness(options: ArithHarnessOptions): ArithHarness {
  const problem = makeArithProblem(options.level ?? 3, options.problemSeed ?? 11);
  const model = new ScriptedModel({
    script: noisyArithSolver({
      stepErrorRate: options.stepErrorRate ?? 0.25,
      ...(options.revisionErrorFactor !== undefined
        ? { revisionErrorFactor: options.revisionErrorFactor }
        : {}),
    }),
    ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    ...(options.abortMode ? { abortMode: options.abortMode } : {}),
    ...(options.onGenerate ? { onGenerate: options.onGenerate } : {}),
  });
  const v = options.verifier ?? 'noisy';
  const verifier: Verifier | null =
    v === 'none'
      ? null
      : v === 'oracle'
        ? oracleVerifier(arithTask)
        : v === 'noisy'
          ? scriptedVerifier({
              score: noisyOracleScores(arithTask, { noise: options.verifierNoise ?? 0.3, seed: 5 }),
            })
          : v;
  const ctx: RunContext = {
    task: arithTask,
    problem,
    model,
    verifier,
    config: options.config,
    seed: options.seed ?? 1,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return { ctx, model, problem };
}

const common = { temperature: 0.8, topP: 1, aggregation: 'last' as const, maxTokens: 64 };

/** Default settings for each strategy, overridable field by field. */
export const configs = {
  bestOfN: (n = 8, selection: 'naive' | 'majority' | 'weighted' = 'weighted'): StrategyConfig => ({
    kind: 'best-of-n',
    n,
    selection,
    ...common,
  }),
  revisions: (
    n = 8,
    chains = 2,
    selection: 'verifier' | 'majority' = 'verifier',
  ): StrategyConfig => ({
    kind: 'revisions',
    n,
    chains,
    selection,
    ...common,
  }),
  beam: (n = 8, beamWidth = 4, maxRounds = 40): StrategyConfig => ({
    kind: 'beam',
    n,
    beamWidth,
    maxRounds,
    ...common,
    maxTokens: 24,
  }),
  lookahead: (n = 8, beamWidth = 4, lookahead = 2, maxRounds = 40): StrategyConfig => ({
    kind: 'lookahead',
    n,
    beamWidth,
    lookahead,
    maxRounds,
    ...common,
    maxTokens: 24,
  }),
  dvts: (n = 8, beamWidth = 4, maxRounds = 40): StrategyConfig => ({
    kind: 'dvts',
    n,
    beamWidth,
    maxRounds,
    ...common,
    maxTokens: 24,
  }),
};
