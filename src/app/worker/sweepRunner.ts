/**
 * Budget sweeps inside the worker: wires src/engine/sweep's runner to runStrategy and the loaded
 * models. Best-of-N pools are one best-of-N run with N = N_max; each search setting is one run
 * per budget.
 */
import { runSweep, sweepShareOf, sweepTimeLeftS, timeLeftText } from '../../engine/sweep/runner';
import { createStrategySweepBackend } from '../../engine/sweepBackend';
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
import { errorMessage, type FromWorker, type SweepShard } from './protocol';

export interface SweepRunner {
  /** Run (or resume: `completed` records are skipped) a sweep until done or cancelled. */
  start(
    sweepId: string,
    request: SweepRequest,
    completed: SweepRecord[],
    shard?: SweepShard,
  ): Promise<void>;
  cancel(sweepId: string): void;
}

export interface SweepRunnerDeps {
  post(message: FromWorker): void;
  /** The models to sweep with (the active ones when the sweep starts). */
  models(): Promise<LoadedModels>;
  /** Make the task's problems available (GSM8K and MATH-500 are fetched on first use). */
  prepareTask?(taskId: string): Promise<void>;
}

export function createSweepRunner(deps: SweepRunnerDeps): SweepRunner {
  let current: { sweepId: string; controller: AbortController } | null = null;

  async function run(
    sweepId: string,
    request: SweepRequest,
    completed: SweepRecord[],
    signal: AbortSignal,
    shard: SweepShard | undefined,
  ) {
    const models = await deps.models();
    const entry = taskEntry(request.taskId);
    await deps.prepareTask?.(request.taskId);
    const verifier = verifierFor(request.verifier, models, request.taskId);
    const backend = createStrategySweepBackend<SearchPlan>({
      task: entry.task,
      model: models.generator,
      verifier,
      poolConfig: (problem, nMax) => poolConfig(problem, nMax, request),
      searchConfig: (plan, budget, problem) => searchConfig(plan, budget, problem, request),
    });
    const t0 = performance.now();
    for await (const event of runSweep({
      problems: shard
        ? sweepShareOf(sweepProblems(request), shard.index, shard.count)
        : sweepProblems(request),
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
        const left = timeLeftText(sweepTimeLeftS(event.work, (performance.now() - t0) / 1000));
        deps.post({
          type: 'sweep-progress',
          sweepId,
          done: event.done,
          total: event.total,
          message: [what, left].filter(Boolean).join(' · '),
          item: what,
          work: event.work,
        });
      } else {
        deps.post({
          type: 'sweep-progress',
          sweepId,
          done: event.done,
          total: event.total,
          message: '',
          item: '',
          work: event.work,
        });
        return event.aborted ? 'cancelled' : 'completed';
      }
    }
    return signal.aborted ? 'cancelled' : 'completed';
  }

  return {
    async start(sweepId, request, completed, shard) {
      current?.controller.abort();
      const controller = new AbortController();
      current = { sweepId, controller };
      try {
        const status = await run(sweepId, request, completed, controller.signal, shard);
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
