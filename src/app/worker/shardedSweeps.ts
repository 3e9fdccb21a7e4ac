/**
 * Budget sweeps on several engine workers. On TinyMath's CPU path a sweep's problems are
 * independent and each keeps one core busy, so a sweep there is split: the page's engine worker
 * takes problems 0, k, 2k, ... of the plan and k - 1 helper workers (the same worker code, with
 * TinyMath loaded on the CPU) take the rest. This channel wraps the page's engine channel: the
 * controller posts one 'start-sweep' and sees one stream of records, progress and one
 * 'sweep-ended', as from a single worker. On WebGPU (one GPU, already batched) and on WebLLM
 * sweeps run in the engine worker alone, as before.
 */
import {
  sumSweepCounts,
  sweepTimeLeftS,
  timeLeftText,
  type SweepCounts,
} from '../../engine/sweep/runner';
import type { EngineChannel } from './client';
import { errorMessage, type FromWorker, type ToWorker } from './protocol';

export interface ShardOptions {
  /** Workers a sweep may use in all, the engine worker included (1: never split). */
  workers: number;
  /** Start another engine worker. */
  startHelper(): EngineChannel;
  /** Milliseconds, for the time-left estimate (performance.now by default). */
  now?(): number;
}

type SweepMessage = Extract<FromWorker, { sweepId: string }>;
type EndStatus = Extract<FromWorker, { type: 'sweep-ended' }>['status'];

interface Shard {
  progress: SweepCounts | null;
  ended: EndStatus | null;
}

interface ShardedSweep {
  sweepId: string;
  shards: Shard[];
  helpers: EngineChannel[];
  unsubscribe: (() => void)[];
  startedMs: number;
  error: string | null;
}

/**
 * Memory one sweep worker takes at its peak, in MB: its own models, prefix caches and batches.
 * Measured in Chromium: 8 workers on a sweep of levels 1-5 with N up to 32 peaked about 1.5 GB
 * above the idle page, about 185 MB each (src/runtime/tinymath/README.md).
 */
const WORKER_PEAK_MB = 200;

/**
 * Workers for sweeps on a machine with `cores` logical cores: all of them on 2, one left for the
 * page from 3 on, at most 8; and where the browser tells the device's memory (Chromium's
 * `navigator.deviceMemory`, in GB, at most 8), no more than fit in a quarter of it.
 */
export function sweepWorkerBudget(cores: number | undefined, deviceMemoryGb?: number): number {
  const n = Math.floor(cores ?? 1);
  if (!(n > 1)) return 1;
  const byCores = n <= 2 ? n : Math.min(n - 1, 8);
  if (deviceMemoryGb === undefined || !(deviceMemoryGb > 0)) return byCores;
  return Math.max(1, Math.min(byCores, Math.floor((deviceMemoryGb * 1024) / 4 / WORKER_PEAK_MB)));
}

/** How many workers a sweep of `problems` problems gets. */
export function sweepWorkers(workers: number, problems: number): number {
  return Math.max(1, Math.min(Math.floor(workers), problems));
}

export function shardedSweeps(engine: EngineChannel, options: ShardOptions): EngineChannel {
  const now = options.now ?? (() => performance.now());
  const listeners = new Set<(message: FromWorker) => void>();
  const emit = (message: FromWorker) => listeners.forEach((l) => l(message));
  let load: Extract<ToWorker, { type: 'load-models' }> | null = null;
  let onWebLLM = false;
  let backend: 'cpu' | 'webgpu' | null = null;
  let active: ShardedSweep | null = null;
  /** A sweep asked for before the models were ready (a reload resuming one): held until then. */
  let held: Extract<ToWorker, { type: 'start-sweep' }> | null = null;

  const stop = (sweep: ShardedSweep) => {
    sweep.unsubscribe.forEach((u) => u());
    sweep.helpers.forEach((h) => h.terminate());
    if (active === sweep) active = null;
  };

  const cancelAll = (sweep: ShardedSweep) => {
    engine.post({ type: 'cancel-sweep', sweepId: sweep.sweepId });
    sweep.helpers.forEach((h) => h.post({ type: 'cancel-sweep', sweepId: sweep.sweepId }));
  };

  const ended = (sweep: ShardedSweep, index: number, status: EndStatus, error?: string) => {
    const shard = sweep.shards[index]!;
    if (shard.ended) return;
    shard.ended = status;
    if (status === 'error' && sweep.error === null) {
      sweep.error = `worker ${index + 1} of ${sweep.shards.length}: ${error ?? 'failed'}`;
      cancelAll(sweep);
    }
    if (sweep.shards.some((s) => s.ended === null)) return;
    stop(sweep);
    const statuses = sweep.shards.map((s) => s.ended);
    const status_: EndStatus =
      sweep.error !== null
        ? 'error'
        : statuses.every((s) => s === 'completed')
          ? 'completed'
          : 'cancelled';
    emit({
      type: 'sweep-ended',
      sweepId: sweep.sweepId,
      status: status_,
      ...(sweep.error !== null ? { error: sweep.error } : {}),
    });
  };

  /** A sweep message from shard `index` of the sweep in progress. */
  const fromShard = (sweep: ShardedSweep, index: number, message: SweepMessage) => {
    switch (message.type) {
      case 'sweep-record':
        emit(message);
        break;
      case 'sweep-progress': {
        if (!message.work) break;
        sweep.shards[index]!.progress = {
          done: message.done,
          total: message.total,
          work: message.work,
        };
        // Totals mean something once every shard has counted its units.
        if (sweep.shards.some((s) => s.progress === null)) break;
        const { done, total, work } = sumSweepCounts(sweep.shards.map((s) => s.progress!));
        const left = timeLeftText(sweepTimeLeftS(work, (now() - sweep.startedMs) / 1000));
        emit({
          type: 'sweep-progress',
          sweepId: sweep.sweepId,
          done,
          total,
          message: [message.item ?? '', left, `${sweep.shards.length} workers`]
            .filter(Boolean)
            .join(' · '),
          work,
        });
        break;
      }
      case 'sweep-ended':
        ended(sweep, index, message.status, message.error);
        break;
      default:
        // Runs are not sharded: pass them on.
        if (index === 0) emit(message);
    }
  };

  const unsubscribeEngine = engine.subscribe((message) => {
    if (message.type === 'models-ready') backend = message.backend;
    // A notice after loading means the GPU failed and TinyMath now runs on the CPU.
    if (message.type === 'models-notice') backend = 'cpu';
    if (held && (message.type === 'models-ready' || message.type === 'models-failed')) {
      const start_ = held;
      held = null;
      // After a failed load the engine worker answers the sweep with the error itself.
      if (!startSharded(start_)) engine.post(start_);
    }
    const sweep = active;
    if (sweep && 'sweepId' in message && message.sweepId === sweep.sweepId) {
      fromShard(sweep, 0, message as SweepMessage);
      return;
    }
    emit(message);
  });

  const start = (message: Extract<ToWorker, { type: 'start-sweep' }>, count: number) => {
    const sweep: ShardedSweep = {
      sweepId: message.sweepId,
      shards: Array.from({ length: count }, () => ({ progress: null, ended: null })),
      helpers: [],
      unsubscribe: [],
      startedMs: now(),
      error: null,
    };
    active = sweep;
    for (let index = 1; index < count; index++) {
      let helper: EngineChannel;
      try {
        helper = options.startHelper();
      } catch (e) {
        sweep.shards[index]!.ended = 'error';
        sweep.error ??= `worker ${index + 1} of ${count} did not start: ${errorMessage(e)}`;
        continue;
      }
      sweep.helpers.push(helper);
      sweep.unsubscribe.push(
        helper.subscribe((m) => {
          if (active !== sweep) return;
          if ('sweepId' in m && m.sweepId === sweep.sweepId) fromShard(sweep, index, m);
          else if (m.type === 'models-failed')
            ended(sweep, index, 'error', `TinyMath did not load: ${m.error}`);
          else if (m.type === 'worker-error') ended(sweep, index, 'error', m.error);
        }),
      );
      helper.post({ ...load!, backend: 'cpu' });
      helper.post({ ...message, shard: { index, count } });
    }
    engine.post({ ...message, shard: { index: 0, count } });
    if (sweep.error !== null) cancelAll(sweep);
  };

  /** Start `message` over several workers if it should be; false when it stays whole. */
  const startSharded = (message: Extract<ToWorker, { type: 'start-sweep' }>): boolean => {
    const { request } = message;
    const count = sweepWorkers(options.workers, request.levels.length * request.problemsPerLevel);
    if (count < 2 || onWebLLM || backend !== 'cpu' || !load) return false;
    start(message, count);
    return true;
  };

  return {
    post(message, transfer) {
      switch (message.type) {
        case 'load-models':
          load = message;
          break;
        case 'use-webllm':
          onWebLLM = true;
          break;
        case 'use-tinymath':
          onWebLLM = false;
          break;
        case 'start-sweep':
          // A new sweep replaces the one in progress (the engine worker cancels its own part).
          if (active) stop(active);
          held = null;
          if (backend === null && load && !onWebLLM && options.workers > 1) {
            held = message;
            return;
          }
          if (startSharded(message)) return;
          break;
        case 'cancel-sweep':
          if (held?.sweepId === message.sweepId) {
            held = null;
            emit({ type: 'sweep-ended', sweepId: message.sweepId, status: 'cancelled' });
            return;
          }
          if (active && message.sweepId === active.sweepId) {
            active.helpers.forEach((h) => h.post(message));
          }
          break;
      }
      engine.post(message, transfer);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate() {
      if (active) stop(active);
      unsubscribeEngine();
      engine.terminate();
    },
  };
}
