/**
 * The worker's logic, apart from the worker global so it can be tested in Node: it loads the
 * models once, runs one strategy at a time (a new run cancels the previous one), streams trace
 * events back in small batches, and runs sweeps. `worker.ts` only wires it to `self`.
 */
import { runStrategy } from '../../engine/run';
import { TASKS } from '../tasks';
import type { TraceEvent } from '../../engine/trace/events';
import { verifierFor, type LoadedModels } from './models';
import {
  errorMessage,
  type BackendChoice,
  type FromWorker,
  type RunRequest,
  type ToWorker,
} from './protocol';
import { createSweepRunner, type SweepRunner } from './sweepRunner';

export interface WorkerDeps {
  post(message: FromWorker): void;
  /**
   * Load the generator and the PRM.
   * @param baseUrl absolute URL of the models folder
   * @param backend which compute backend to use ('auto' picks WebGPU when it works)
   * @param onProgress called with a 0..1 fraction and a short description
   */
  loadModels(
    baseUrl: string,
    backend: BackendChoice,
    onProgress: (fraction: number, message: string) => void,
  ): Promise<LoadedModels>;
  /** How long events may wait before they are sent (ms). Small enough to look live. */
  flushIntervalMs?: number;
}

export interface WorkerHandler {
  handle(message: ToWorker): void;
  /** Resolves when every run and sweep started so far has ended (for tests). */
  idle(): Promise<void>;
}

export function createWorkerHandler(deps: WorkerDeps): WorkerHandler {
  const flushMs = deps.flushIntervalMs ?? 40;
  let models: Promise<LoadedModels> | null = null;
  let currentRun: { runId: string; controller: AbortController } | null = null;
  const pending = new Set<Promise<void>>();
  let sweeps: SweepRunner | null = null;

  const track = (p: Promise<void>) => {
    const tracked = p.catch((e: unknown) =>
      deps.post({ type: 'worker-error', error: errorMessage(e) }),
    );
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };

  const modelsOrThrow = (): Promise<LoadedModels> => {
    if (!models) throw new Error('The models were not requested yet (no load-models message).');
    return models;
  };

  function loadModels(baseUrl: string, backend: BackendChoice) {
    if (models) return; // loaded once per worker; a reload of the page makes a new worker
    models = deps.loadModels(baseUrl, backend, (fraction, message) =>
      deps.post({ type: 'models-progress', fraction, message }),
    );
    track(
      models.then(
        (m) =>
          deps.post({
            type: 'models-ready',
            backend: m.backend,
            notice: m.notice,
            generatorLabel: m.generator.label,
            prmLabel: m.prm.label,
          }),
        (e: unknown) => deps.post({ type: 'models-failed', error: errorMessage(e) }),
      ),
    );
  }

  async function run(runId: string, request: RunRequest, signal: AbortSignal): Promise<void> {
    let loaded: LoadedModels;
    try {
      loaded = await modelsOrThrow();
    } catch (e) {
      deps.post({
        type: 'run-ended',
        runId,
        status: 'error',
        error: `The model could not be loaded: ${errorMessage(e)}`,
      });
      return;
    }
    const entry = TASKS[request.taskId];
    if (!entry) {
      deps.post({
        type: 'run-ended',
        runId,
        status: 'error',
        error: `Unknown task "${request.taskId}"`,
      });
      return;
    }
    if (signal.aborted) {
      deps.post({ type: 'run-ended', runId, status: 'cancelled' });
      return;
    }

    let buffer: TraceEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (buffer.length === 0) return;
      deps.post({ type: 'run-events', runId, events: buffer });
      buffer = [];
    };

    let status: Extract<TraceEvent, { type: 'run_finished' }>['status'] = 'error';
    let error: string | undefined;
    try {
      const verifier = verifierFor(request.verifier, loaded, request.taskId);
      for await (const event of runStrategy({
        task: entry.task,
        problem: request.problem,
        model: loaded.generator,
        verifier,
        config: request.config,
        seed: request.seed,
        signal,
      })) {
        buffer.push(event);
        if (event.type === 'run_finished') {
          status = event.status;
          error = event.error;
        }
        timer ??= setTimeout(flush, flushMs);
      }
    } catch (e) {
      status = 'error';
      error = errorMessage(e);
    }
    flush();
    deps.post({ type: 'run-ended', runId, status, ...(error !== undefined ? { error } : {}) });
  }

  function startRun(runId: string, request: RunRequest) {
    currentRun?.controller.abort();
    const controller = new AbortController();
    currentRun = { runId, controller };
    track(
      run(runId, request, controller.signal).finally(() => {
        if (currentRun?.runId === runId) currentRun = null;
      }),
    );
  }

  return {
    handle(message) {
      switch (message.type) {
        case 'load-models':
          loadModels(message.baseUrl, message.backend);
          break;
        case 'start-run':
          startRun(message.runId, message.request);
          break;
        case 'cancel-run':
          if (currentRun?.runId === message.runId) currentRun.controller.abort();
          break;
        case 'start-sweep':
          sweeps ??= createSweepRunner({ post: deps.post, models: modelsOrThrow });
          track(sweeps.start(message.sweepId, message.request, message.completed));
          break;
        case 'cancel-sweep':
          sweeps?.cancel(message.sweepId);
          break;
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
