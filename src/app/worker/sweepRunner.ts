/**
 * Budget sweeps inside the worker: wires src/engine/sweep's runner to runStrategy and the loaded
 * models. Best-of-N pools are one best-of-N run with N = N_max; each search setting is one run
 * per budget.
 */
import { runToCompletion } from '../../engine/run';
import { replayTrace } from '../../engine/trace/reducer';
import type { PoolSample } from '../../engine/sweep/pool';
import { runSweep, type SweepBackend } from '../../engine/sweep/runner';
import type { Problem, RunContext } from '../../engine/types';
import type { SweepRecord, SweepRequest } from '../../store/sweepTypes';
import {
  poolConfig,
  searchConfig,
  sweepBudgets,
  sweepProblems,
  sweepSettings,
  type SearchPlan,
} from '../sweepPlan';
import { taskEntry } from '../tasks';
import { verifierFor, type LoadedModels } from './models';
import { errorMessage, type FromWorker } from './protocol';

export interface SweepRunner {
  /** Run (or resume: `completed` records are skipped) a sweep until done or cancelled. */
  start(sweepId: string, request: SweepRequest, completed: SweepRecord[]): Promise<void>;
  cancel(sweepId: string): void;
}

export interface SweepRunnerDeps {
  post(message: FromWorker): void;
  /** The models to sweep with (the active ones when the sweep starts). */
  models(): Promise<LoadedModels>;
  /** Make the task's problems available (GSM8K and MATH-500 are fetched on first use). */
  prepareTask?(taskId: string): Promise<void>;
}

/**
 * The pool samples of a finished best-of-N run: one per lane, with its answer, verifier score
 * and an equal share of the run's cost (pools only ever use the mean cost per sample).
 */
export function poolSamplesFromRun(
  result: Awaited<ReturnType<typeof runToCompletion>>,
): PoolSample[] {
  if (result.status !== 'completed') {
    throw new Error(`sampling the pool ${result.status}${result.error ? `: ${result.error}` : ''}`);
  }
  const state = replayTrace(result.events);
  const lanes = state.order
    .map((id) => state.nodes[id])
    .filter((n): n is NonNullable<typeof n> => n !== undefined && n.kind === 'attempt');
  const share = 1 / Math.max(1, lanes.length);
  const c = result.costs;
  const costs = {
    generations: c.generations * share,
    generatedTokens: c.generatedTokens * share,
    promptTokens: c.promptTokens * share,
    verifierTokens: c.verifierTokens * share,
    flops: c.flops * share,
  };
  return lanes.map((n) => ({
    answer: n.answer ?? null,
    score: n.score ?? null,
    correct: n.correct ?? false,
    costs,
  }));
}

export function createSweepRunner(deps: SweepRunnerDeps): SweepRunner {
  let current: { sweepId: string; controller: AbortController } | null = null;

  async function run(
    sweepId: string,
    request: SweepRequest,
    completed: SweepRecord[],
    signal: AbortSignal,
  ) {
    const models = await deps.models();
    const entry = taskEntry(request.taskId);
    await deps.prepareTask?.(request.taskId);
    const verifier = verifierFor(request.verifier, models, request.taskId);
    const context = (problem: Problem): Omit<RunContext, 'config' | 'seed'> => ({
      task: entry.task,
      problem,
      model: models.generator,
      verifier,
      signal,
    });
    const backend: SweepBackend<Problem, SearchPlan> = {
      async samplePool(problem, nMax, seed) {
        const result = await runToCompletion({
          ...context(problem),
          config: poolConfig(problem, nMax, request),
          seed,
        });
        return poolSamplesFromRun(result);
      },
      async runSearch(problem, setting, budget, seed) {
        const config = searchConfig(setting.config, budget, problem, request);
        const result = await runToCompletion({ ...context(problem), config, seed });
        if (result.status !== 'completed') {
          throw new Error(
            `${setting.label} at N=${budget} ${result.status}${result.error ? `: ${result.error}` : ''}`,
          );
        }
        return { answer: result.answer, correct: result.correct, costs: result.costs };
      },
    };
    for await (const event of runSweep({
      problems: sweepProblems(request),
      budgets: sweepBudgets(request.nMax),
      settings: sweepSettings(request),
      backend,
      seed: request.seed,
      completed,
      signal,
    })) {
      if (event.type === 'record')
        deps.post({ type: 'sweep-record', sweepId, record: event.record });
      else if (event.type === 'progress') {
        const item = event.current;
        const what = item
          ? `${item.problemId}: ${item.settingId === '#pool' ? 'best-of-N pool' : item.settingId} N=${item.budget}`
          : '';
        deps.post({
          type: 'sweep-progress',
          sweepId,
          done: event.done,
          total: event.total,
          message: what,
        });
      } else {
        deps.post({
          type: 'sweep-progress',
          sweepId,
          done: event.done,
          total: event.total,
          message: '',
        });
        return event.aborted ? 'cancelled' : 'completed';
      }
    }
    return signal.aborted ? 'cancelled' : 'completed';
  }

  return {
    async start(sweepId, request, completed) {
      current?.controller.abort();
      const controller = new AbortController();
      current = { sweepId, controller };
      try {
        const status = await run(sweepId, request, completed, controller.signal);
        deps.post({ type: 'sweep-ended', sweepId, status });
      } catch (e) {
        const status = controller.signal.aborted ? 'cancelled' : 'error';
        deps.post({
          type: 'sweep-ended',
          sweepId,
          status,
          ...(status === 'error' ? { error: errorMessage(e) } : {}),
        });
      } finally {
        if (current?.sweepId === sweepId) current = null;
      }
    },
    cancel(sweepId) {
      if (current?.sweepId === sweepId) current.controller.abort();
    },
  };
}
