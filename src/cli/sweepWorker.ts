/**
 * One worker thread of `sweep --jobs J` (sweepWorkers.ts): loads the models itself and sweeps
 * every J-th problem of the plan, posting the runner's events to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSweep } from '../engine/sweep';
import { loadBackends, sweepBackendFor, sweepPlan } from './setup';
import type { SweepWorkerData, SweepWorkerMessage } from './sweepWorkers';

async function work(port: NonNullable<typeof parentPort>): Promise<void> {
  const { values, shard, jobs, completed } = workerData as SweepWorkerData;
  const controller = new AbortController();
  port.on('message', (m) => {
    if (m === 'abort') controller.abort();
  });
  const post = (m: SweepWorkerMessage): void => port.postMessage(m);
  try {
    const { problems, budgets, settings, seed } = sweepPlan(values);
    const mine = problems.filter((_, i) => i % jobs === shard);
    const ids = new Set(mine.map((p) => p.id));
    // The first worker says what the model loading noticed (CPU path, ...); the rest stay quiet.
    const backends = await loadBackends(values, { quiet: shard > 0 });
    try {
      for await (const e of runSweep({
        problems: mine,
        budgets,
        settings,
        backend: sweepBackendFor(values, backends),
        seed,
        completed: completed.filter((r) => ids.has(r.problemId)),
        signal: controller.signal,
      }))
        post(e);
    } finally {
      backends.bundle?.dispose();
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    port.close();
  }
}

if (parentPort) void work(parentPort);
