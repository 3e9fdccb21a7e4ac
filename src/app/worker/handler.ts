/**
 * The worker's logic, apart from the worker global so it can be tested in Node: it loads
 * TinyMath once, runs one strategy at a time (a new run cancels the previous one) on the active
 * model (TinyMath, or a WebLLM model the page connected), streams trace events back in small
 * batches, and runs sweeps. `worker.ts` only wires it to `self`.
 */
import { runStrategy } from '../../engine/run';
import { TINYMATH_MODELS } from '../../runtime/tinymath/names';
import type { TraceEvent } from '../../engine/trace/events';
import type { WebLLMModelInfo, WebLLMSpeedReport } from '../../runtime/webllm/model';
import { TASKS, type TaskEntry } from '../tasks';
import { modelTaskMismatch, verifierFor, type LoadedModels } from './models';
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
   * Load TinyMath: the generator, the revision model and the PRM.
   * @param baseUrl absolute URL of the models folder
   * @param backend which compute backend to use ('auto' picks WebGPU when it works)
   * @param onProgress called with a 0..1 fraction and a short description
   */
  loadModels(
    baseUrl: string,
    backend: BackendChoice,
    onProgress: (fraction: number, message: string) => void,
  ): Promise<LoadedModels>;
  /**
   * Build the generator and LLM-as-judge on a WebLLM model the page loaded (createWebLLMModels).
   * @param port the transferred port to WebLLM's worker
   * @param info the loaded model, plain data
   * @param onSpeed receives WebLLM's prefill/decode speeds after every call
   */
  connectWebLLM(
    port: MessagePort,
    info: WebLLMModelInfo,
    onSpeed: (report: WebLLMSpeedReport) => void,
  ): LoadedModels;
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
  let tinymath: Promise<LoadedModels> | null = null;
  /** The WebLLM model runs use while the page has one loaded; null: TinyMath. */
  let webllm: LoadedModels | null = null;
  let dataBaseUrl: string | null = null;
  let currentRun: { runId: string; controller: AbortController } | null = null;
  /** The sweep in progress, and whether it runs on WebLLM (going back to TinyMath stops it). */
  let currentSweep: { sweepId: string; onWebLLM: boolean } | null = null;
  const pending = new Set<Promise<void>>();
  let sweeps: SweepRunner | null = null;

  const track = (p: Promise<void>) => {
    const tracked = p.catch((e: unknown) =>
      deps.post({ type: 'worker-error', error: errorMessage(e) }),
    );
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };

  const tinymathOrThrow = (): Promise<LoadedModels> => {
    if (!tinymath) throw new Error('The models were not requested yet (no load-models message).');
    return tinymath;
  };

  /** The models runs use now: the connected WebLLM model, else TinyMath. */
  const activeModels = async (): Promise<LoadedModels> => webllm ?? tinymathOrThrow();

  /** Fetch a task's problems in the worker (GSM8K, MATH-500) before running on them. */
  const ensureTask = async (entry: TaskEntry): Promise<void> => {
    if (entry.isReady()) return;
    if (!dataBaseUrl) throw new Error('The data folder is not known yet (no load-models message).');
    await entry.load(dataBaseUrl);
  };

  function loadModels(baseUrl: string, backend: BackendChoice) {
    if (tinymath) return; // loaded once per worker; a reload of the page makes a new worker
    tinymath = deps.loadModels(baseUrl, backend, (fraction, message) =>
      deps.post({ type: 'models-progress', fraction, message }),
    );
    track(
      tinymath.then(
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

  function switchToWebLLM(port: MessagePort, info: WebLLMModelInfo) {
    dropWebLLM();
    webllm = deps.connectWebLLM(port, info, (report) =>
      deps.post({ type: 'webllm-speed', report }),
    );
  }

  /**
   * Stop what runs on WebLLM, then drop its port. The order matters: requests pending on the
   * port are never answered once WebLLM's worker is gone, and dispose() rejects them, so the
   * run must be cancelled first to end as 'cancelled' instead of hanging or failing.
   */
  function dropWebLLM() {
    currentRun?.controller.abort();
    if (currentSweep?.onWebLLM) sweeps?.cancel(currentSweep.sweepId);
    webllm?.dispose();
    webllm = null;
  }

  async function run(runId: string, request: RunRequest, signal: AbortSignal): Promise<void> {
    const ended = (error: string) =>
      deps.post({ type: 'run-ended', runId, status: 'error', error });
    let loaded: LoadedModels;
    try {
      loaded = await activeModels();
    } catch (e) {
      ended(`The ${TINYMATH_MODELS} could not be loaded: ${errorMessage(e)}`);
      return;
    }
    const entry = TASKS[request.taskId];
    if (!entry) {
      ended(`Unknown task "${request.taskId}"`);
      return;
    }
    const mismatch = modelTaskMismatch(loaded, request.taskId);
    if (mismatch) {
      ended(mismatch);
      return;
    }
    try {
      await ensureTask(entry);
    } catch (e) {
      ended(`The ${entry.shortLabel} problems could not be loaded: ${errorMessage(e)}`);
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

  function startSweep(message: Extract<ToWorker, { type: 'start-sweep' }>) {
    const { sweepId } = message;
    sweeps ??= createSweepRunner({
      post: deps.post,
      models: activeModels,
      prepareTask: (taskId) => {
        const entry = TASKS[taskId];
        return entry ? ensureTask(entry) : Promise.reject(new Error(`Unknown task "${taskId}"`));
      },
    });
    // The runner takes the active models as it starts (synchronously), so this is the truth.
    currentSweep = { sweepId, onWebLLM: webllm !== null };
    track(
      sweeps.start(sweepId, message.request, message.completed, message.shard).finally(() => {
        if (currentSweep?.sweepId === sweepId) currentSweep = null;
      }),
    );
  }

  return {
    handle(message) {
      switch (message.type) {
        case 'load-models':
          dataBaseUrl = message.dataBaseUrl;
          loadModels(message.baseUrl, message.backend);
          break;
        case 'use-webllm':
          switchToWebLLM(message.port, message.info);
          break;
        case 'use-tinymath':
          dropWebLLM();
          break;
        case 'start-run':
          startRun(message.runId, message.request);
          break;
        case 'cancel-run':
          if (currentRun?.runId === message.runId) currentRun.controller.abort();
          break;
        case 'start-sweep':
          startSweep(message);
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
