/**
 * One worker thread of `sweep --jobs J` (sweepWorkers.ts): loads the models itself and sweeps
 * every J-th problem of the plan, posting the runner's events to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sweepShard } from './setup';
import type { SweepWorkerData, SweepWorkerMessage } from './sweepWorkers';

async function work(port: NonNullable<typeof parentPort>): Promise<void> {
  const { values, shard, jobs, completed } = workerData as SweepWorkerData;
  const controller = new AbortController();
  port.on('message', (m) => {
    if (m === 'abort') controller.abort();
  });
  const post = (m: SweepWorkerMessage): void => port.postMessage(m);
  try {
    // The first worker says what loading the models noticed (CPU path, ...); the rest stay quiet.
    await sweepShard({
      values,
      shard,
      jobs,
      completed,
      signal: controller.signal,
      onEvent: post,
      quiet: shard > 0,
    });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    port.close();
  }
}

if (parentPort) void work(parentPort);
