/**
 * `sweep --jobs J`: J worker threads (sweepWorker.ts), worker i sweeping problems i, i + J, ...
 * of the plan. Every record depends only on its problem, setting, budget and the sweep seed, so
 * the records are the same as one thread's; only their order in the JSONL file differs.
 */
import { Worker } from 'node:worker_threads';
import type { SweepEvent, SweepRecord } from '../engine/sweep';
import type { Values } from './setup';

/** What a worker is given. */
export interface SweepWorkerData {
  values: Values;
  shard: number;
  jobs: number;
  /** Records already on disk (a resumed sweep); each worker keeps those of its problems. */
  completed: SweepRecord[];
}

/** What a worker posts: the runner's events, or the error that stopped it. */
export type SweepWorkerMessage = SweepEvent | { type: 'error'; message: string };

/**
 * Run the workers to the end (or until `signal` aborts them), passing each one's events on.
 * @throws Error with the first worker's error message; the others are cancelled first
 */
export async function runSweepWorkers(o: {
  values: Values;
  jobs: number;
  completed: SweepRecord[];
  signal: AbortSignal;
  onEvent: (e: SweepEvent, shard: number) => void;
}): Promise<void> {
  let failure: string | null = null;
  const workers = Array.from({ length: o.jobs }, (_, shard) => {
    const data: SweepWorkerData = {
      values: o.values,
      shard,
      jobs: o.jobs,
      completed: o.completed,
    };
    // The .mjs entry registers tsx for the worker's TypeScript (a worker thread has its own module
    // loader), whether the parent runs under tsx or under Vitest.
    return new Worker(new URL('./sweepWorker.mjs', import.meta.url), { workerData: data });
  });
  const cancelAll = (): void => {
    for (const w of workers) w.postMessage('abort');
  };
  o.signal.addEventListener('abort', cancelAll, { once: true });
  try {
    await Promise.all(
      workers.map(
        (worker, shard) =>
          new Promise<void>((resolve) => {
            worker.on('message', (m: SweepWorkerMessage) => {
              if (m.type === 'error') {
                failure ??= `worker ${shard + 1} of ${o.jobs}: ${m.message}`;
                cancelAll();
              } else {
                o.onEvent(m, shard);
              }
            });
            worker.on('error', (e) => {
              failure ??= `worker ${shard + 1} of ${o.jobs}: ${e.message}`;
              cancelAll();
            });
            worker.on('exit', () => resolve());
          }),
      ),
    );
  } finally {
    o.signal.removeEventListener('abort', cancelAll);
  }
  if (failure !== null) throw new Error(failure);
}
