/**
 * Connects the store to the outside world: the engine worker, the URL hash, the playback clock
 * and trace files. The store stays pure; every side effect of the page starts here.
 * Created once by main.tsx, with `dispose()` for tests and hot reload.
 */
import { parseTraceFile, serializeTrace } from '../engine/trace/io';
import type { WebLLMModelInfo } from '../runtime/webllm/model';
import { WebLLMSession } from '../runtime/webllm/session';
import type { AppStore } from '../store/appStore';
import {
  runKey,
  settingsFromHash,
  settingsToHash,
  strategyConfigFor,
  type RunSettings,
} from '../store/settings';
import type { SweepRequest } from '../store/sweepTypes';
import { activeModelKey, taskModelMismatch } from './modelChoice';
import { TASKS, taskEntry, type ModelFamily } from './tasks';
import type { EngineChannel } from './worker/client';
import type { BackendChoice, FromWorker, RunRequest } from './worker/protocol';
import type { SweepPersistence } from './sweepStore';

/** What the controller touches in the browser; tests pass fakes. */
export interface ControllerEnv {
  getHash(): string;
  /** Replace the hash without adding a history entry. */
  replaceHash(hash: string): void;
  onHashChange(listener: () => void): () => void;
  requestFrame(callback: (time: number) => void): number;
  cancelFrame(handle: number): void;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(handle: number): void;
  /** Absolute URL of the folder with the TinyMath model folders. */
  modelsBaseUrl: string;
  /** Absolute URL of the folder that holds data/ (GSM8K, MATH-500): the app's base URL. */
  dataBaseUrl: string;
  backend: BackendChoice;
}

/** The task, level and problem last used with one model family, to return to when switching back. */
type TaskChoice = Pick<RunSettings, 'task' | 'level' | 'problemId'>;

/** Where each family starts when the user has not used it yet on this page. */
const FIRST_TASK: Record<ModelFamily, TaskChoice> = {
  tinymath: { task: 'arith', level: 3, problemId: '' },
  chat: { task: 'gsm8k', level: 1, problemId: '' },
};

/** Wait this long after the last settings change before starting a run (a dragged slider). */
const RUN_DEBOUNCE_MS = 200;
/** A hidden tab's first frame should not jump playback ahead by minutes. */
const MAX_FRAME_MS = 100;

export class AppController {
  private readonly cleanups: (() => void)[] = [];
  private runCounter = 0;
  private sweepCounter = 0;
  private pendingRun: number | null = null;
  private frame: number | null = null;
  private lastFrameTime: number | null = null;
  private lastRunKey: string | null = null;
  /** The run that waits for its task's problems to be fetched. */
  private runAwaitingData: string | null = null;
  private readonly taskLoads = new Map<string, Promise<boolean>>();
  /** What each model family was last doing, so switching models and back loses nothing. */
  private readonly lastTaskOf: Partial<Record<ModelFamily, TaskChoice>> = {};

  /**
   * @param webllm The page's one WebLLM session (creating it loads nothing). The app runs on a
   *   WebLLM model exactly while the session has one ready; the model picker drives it.
   */
  constructor(
    private readonly store: AppStore,
    private readonly engine: EngineChannel,
    private readonly env: ControllerEnv,
    private readonly sweeps: SweepPersistence | null = null,
    readonly webllm: WebLLMSession = new WebLLMSession(),
  ) {}

  /** Load the models, start the default run and begin following the URL. */
  start(): void {
    this.cleanups.push(this.engine.subscribe((m) => this.onWorkerMessage(m)));
    this.engine.post({
      type: 'load-models',
      baseUrl: this.env.modelsBaseUrl,
      backend: this.env.backend,
      dataBaseUrl: this.env.dataBaseUrl,
    });

    this.env.replaceHash(settingsToHash(this.store.getState().settings));
    this.cleanups.push(
      this.store.subscribe((state, previous) => {
        if (state.settings !== previous.settings) this.onSettingsChanged(state.settings);
        if (state.activeModel !== previous.activeModel) this.onRunInputsChanged();
        if (state.playing !== previous.playing) this.syncClock();
      }),
    );
    // Whatever takes the session out of 'ready' (Cancel, Delete, a failed load of another
    // model, Back to TinyMath, a crashed worker) also takes the app back to TinyMath.
    this.cleanups.push(this.webllm.subscribe(() => this.onWebLLMSessionChanged()));
    this.cleanups.push(
      this.env.onHashChange(() => {
        const next = settingsFromHash(this.env.getHash());
        if (settingsToHash(next) !== settingsToHash(this.store.getState().settings)) {
          this.store.getState().replaceSettings(next);
        }
      }),
    );
    this.startRun();
    this.syncClock();
    void this.restoreSweep();
  }

  dispose(): void {
    this.cleanups.splice(0).forEach((c) => c());
    this.webllm.dispose();
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    if (this.frame !== null) this.env.cancelFrame(this.frame);
    this.frame = null;
  }

  /**
   * Start a run with the current settings on the active model, replacing the current trace.
   * A task whose problems are still being fetched starts as soon as they arrive; a task the
   * active model cannot read shows why instead of running.
   */
  startRun(): void {
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    this.pendingRun = null;
    this.runAwaitingData = null;
    const state = this.store.getState();
    const settings = state.settings;
    this.lastRunKey = this.currentRunKey();
    const current = state.source;
    if (
      current?.kind === 'live' &&
      (state.runStatus === 'running' || state.runStatus === 'waiting')
    ) {
      this.engine.post({ type: 'cancel-run', runId: current.runId });
    }
    const entry = taskEntry(settings.task);
    // Fetch the problems even when the run is refused: the picker and the link need them.
    const loading = entry.isReady() ? null : this.loadTaskData(settings.task);
    const mismatch = taskModelMismatch(settings.task, state.activeModel);
    if (mismatch) {
      state.blockRun(mismatch);
      return;
    }
    const runId = `page-run-${++this.runCounter}`;
    state.beginLiveTrace(runId);
    if (loading) {
      this.runAwaitingData = runId;
      void loading.then((ok) => this.onTaskDataSettled(runId, ok));
      return;
    }
    let request: RunRequest;
    try {
      request = this.runRequest(settings);
    } catch (e) {
      state.endLiveRun(runId, 'error', e instanceof Error ? e.message : String(e));
      return;
    }
    this.engine.post({ type: 'start-run', runId, request });
  }

  /**
   * Run on a WebLLM model the session has loaded: hands the engine worker a port to it. The
   * arithmetic task is TinyMath's, so the task switches to the one last used with a chat
   * model (GSM8K at first). Calling it again for the same model does nothing.
   */
  switchToWebLLM(info: WebLLMModelInfo): void {
    const state = this.store.getState();
    const active = state.activeModel;
    if (active.kind === 'webllm' && active.info.modelId === info.modelId) return;
    let port: MessagePort;
    try {
      port = this.webllm.connectPort();
    } catch (e) {
      state.pushNotice('error', `WebLLM: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.engine.post({ type: 'use-webllm', info, port }, [port]);
    this.switchTaskFamily('chat', `Runs now use ${info.label}.`);
    state.activateModel({ kind: 'webllm', info });
  }

  /**
   * Run on TinyMath again (it never stopped being loaded). The worker cancels what runs on
   * WebLLM and drops its port; the task goes back to the one last used with TinyMath.
   * WebLLM's own worker is left to the session (see backToTinyMath).
   */
  switchToTinyMath(): void {
    const state = this.store.getState();
    if (state.activeModel.kind === 'tinymath') return;
    this.engine.post({ type: 'use-tinymath' });
    this.switchTaskFamily('tinymath', 'Runs use TinyMath again.');
    state.activateModel({ kind: 'tinymath' });
  }

  /** Leave WebLLM from anywhere in the page: stops WebLLM's worker (freeing the GPU) and uses TinyMath. */
  backToTinyMath(): void {
    this.webllm.backToTinyMath();
    this.switchToTinyMath();
  }

  /** Stop the live run; its trace so far stays and can be played. */
  cancelRun(): void {
    const { source, runStatus } = this.store.getState();
    if (source?.kind === 'live' && (runStatus === 'running' || runStatus === 'waiting')) {
      this.engine.post({ type: 'cancel-run', runId: source.runId });
    }
  }

  /** The current trace as the text of a trace file, or null when there is none. */
  exportTraceText(): string | null {
    const { events } = this.store.getState();
    return events.length > 0 ? serializeTrace(events) : null;
  }

  /** A file name that says what the trace is. */
  exportFileName(): string {
    const run = this.store.getState().view.run ?? this.store.getState().events[0];
    if (run?.type === 'run_started') {
      return `ttc-lab-${run.strategy.kind}-${run.problem.id}-seed${run.seed}.json`;
    }
    return 'ttc-lab-trace.json';
  }

  /**
   * Open a trace file's text. On success the live run stops and the file plays; on failure the
   * current view is left exactly as it was and the reason is shown.
   * @returns whether the file was loaded
   */
  importTraceText(text: string, fileName: string): boolean {
    const state = this.store.getState();
    const parsed = parseTraceFile(text);
    if (!parsed.ok) {
      state.pushNotice('error', `Could not open "${fileName}": ${parsed.error}`);
      return false;
    }
    const loaded = state.loadTrace(parsed.trace.events, fileName);
    if (!loaded.ok) {
      state.pushNotice('error', `Could not open "${fileName}": ${loaded.error}`);
      return false;
    }
    // The worker may still be running the previous live run; its events are now ignored.
    this.engine.post({ type: 'cancel-run', runId: `page-run-${this.runCounter}` });
    // No message needed: the stage's status line names the file while it plays.
    return true;
  }

  /** Start a sweep, resuming from the records already stored for the same request. */
  async startSweep(request: SweepRequest): Promise<void> {
    const state = this.store.getState();
    const mismatch = taskModelMismatch(request.taskId, state.activeModel);
    if (mismatch) {
      state.pushNotice('error', `The sweep cannot start: ${mismatch}`);
      return;
    }
    const sweepId = `page-sweep-${++this.sweepCounter}`;
    let completed =
      state.sweep.request && sameRequest(state.sweep.request, request) ? state.sweep.records : [];
    if (this.sweeps) {
      try {
        const stored = await this.sweeps.load();
        if (stored && sameRequest(stored.request, request)) completed = stored.records;
        await this.sweeps.save({
          request,
          records: completed,
          status: 'running',
          done: 0,
          total: 0,
        });
      } catch (e) {
        state.pushNotice('warning', `Sweep results cannot be saved in this browser: ${String(e)}`);
      }
    }
    this.store.getState().sweepStarted(sweepId, request, completed);
    this.engine.post({ type: 'start-sweep', sweepId, request, completed });
  }

  cancelSweep(): void {
    const { id } = this.store.getState().sweep;
    if (id) this.engine.post({ type: 'cancel-sweep', sweepId: id });
  }

  /** Forget the stored sweep. */
  async clearSweep(): Promise<void> {
    this.cancelSweep();
    this.store.getState().sweepCleared();
    await this.sweeps?.clear();
  }

  private runRequest(settings: RunSettings): RunRequest {
    const entry = taskEntry(settings.task);
    const problem = entry.problemFromId(settings.problemId);
    if (!problem) throw new Error(`Unknown problem "${settings.problemId}"`);
    return {
      taskId: settings.task,
      problem,
      config: strategyConfigFor(settings),
      verifier: settings.verifier,
      seed: settings.seed,
    };
  }

  private onSettingsChanged(settings: RunSettings): void {
    this.env.replaceHash(settingsToHash(settings));
    const entry = TASKS[settings.task];
    if (entry && !entry.isReady()) void this.loadTaskData(settings.task);
    this.onRunInputsChanged();
  }

  /** What decides a run: the settings that shape it, and the model it runs on. */
  private currentRunKey(): string {
    const { settings, activeModel } = this.store.getState();
    return `${runKey(settings)}|${activeModelKey(activeModel)}`;
  }

  private onRunInputsChanged(): void {
    // Speed and presentation only change how the trace is shown, never the run.
    if (this.currentRunKey() === this.lastRunKey) return;
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    this.pendingRun = this.env.setTimeout(() => this.startRun(), RUN_DEBOUNCE_MS);
  }

  private onWebLLMSessionChanged(): void {
    const session = this.webllm.getState();
    if (session.status === 'ready') this.switchToWebLLM(session.info);
    else this.switchToTinyMath();
  }

  /**
   * Move the settings to a task the family can run, remembering where the other family was.
   * @param note said to the user when the task changes
   */
  private switchTaskFamily(family: ModelFamily, note: string): void {
    const state = this.store.getState();
    const { settings } = state;
    const from = taskEntry(settings.task);
    if (from.modelFamily === family) return;
    this.lastTaskOf[from.modelFamily] = {
      task: settings.task,
      level: settings.level,
      problemId: settings.problemId,
    };
    const to = this.lastTaskOf[family] ?? FIRST_TASK[family];
    state.replaceSettings({ ...settings, ...to });
    const entry = taskEntry(to.task);
    state.pushNotice(
      'info',
      `${note} ${from.shortLabel} is not for this model, so the task is now ${entry.shortLabel}.`,
    );
  }

  /**
   * Fetch a task's problems in the page once (the worker fetches its own copy).
   * @returns whether they are loaded
   */
  private loadTaskData(taskId: string): Promise<boolean> {
    const existing = this.taskLoads.get(taskId);
    if (existing) return existing;
    const entry = taskEntry(taskId);
    const state = this.store.getState();
    state.taskDataChanged(taskId, { status: 'loading' });
    const load = entry.load(this.env.dataBaseUrl).then(
      () => {
        const s = this.store.getState();
        s.taskDataChanged(taskId, { status: 'ready' });
        // Normalise again: the link's problem id can now be checked (or the first one chosen).
        if (s.settings.task === taskId) s.replaceSettings(s.settings);
        return true;
      },
      (e: unknown) => {
        // Forget the failure so that the next run tries again (the network may be back).
        this.taskLoads.delete(taskId);
        const error = e instanceof Error ? e.message : String(e);
        this.store.getState().taskDataChanged(taskId, { status: 'error', error });
        return false;
      },
    );
    this.taskLoads.set(taskId, load);
    return load;
  }

  /** The problems a waiting run needed have arrived (or failed to). */
  private onTaskDataSettled(runId: string, ok: boolean): void {
    if (this.runAwaitingData !== runId) return;
    this.runAwaitingData = null;
    const state = this.store.getState();
    if (ok) {
      this.startRun();
      return;
    }
    const status = state.taskData[state.settings.task];
    state.endLiveRun(
      runId,
      'error',
      `The problems could not be loaded: ${status?.status === 'error' ? status.error : 'unknown error'}`,
    );
  }

  private onWorkerMessage(message: FromWorker): void {
    const state = this.store.getState();
    switch (message.type) {
      case 'models-progress':
        state.modelLoading(message.fraction, message.message);
        break;
      case 'models-ready':
        // The backend notice (no WebGPU: CPU) is shown by the model status, not as a dismissible message.
        state.modelReady(message);
        break;
      case 'models-notice':
        state.modelNotice(message.notice);
        break;
      case 'models-failed':
        state.modelFailed(message.error);
        break;
      case 'run-events':
        state.appendEvents(message.runId, message.events);
        break;
      case 'run-ended':
        if (
          message.status === 'completed' ||
          message.status === 'cancelled' ||
          message.status === 'error'
        ) {
          state.endLiveRun(message.runId, message.status, message.error);
        }
        break;
      case 'sweep-progress':
        state.sweepProgress(message.sweepId, message.done, message.total, message.message);
        break;
      case 'sweep-record':
        state.sweepRecord(message.sweepId, message.record);
        void this.persistSweep('running');
        break;
      case 'sweep-ended':
        state.sweepEnded(message.sweepId, message.status, message.error);
        if (message.status === 'error' && message.error) {
          state.pushNotice('error', `The sweep stopped: ${message.error}`);
        }
        void this.persistSweep(message.status);
        break;
      case 'webllm-speed':
        state.webllmSpeedReported(message.report);
        break;
      case 'worker-error':
        state.pushNotice('error', `Engine error: ${message.error}`);
        break;
    }
  }

  private async persistSweep(
    status: 'running' | 'completed' | 'cancelled' | 'error',
  ): Promise<void> {
    const { sweep } = this.store.getState();
    if (!this.sweeps || !sweep.request) return;
    try {
      await this.sweeps.save({
        request: sweep.request,
        records: sweep.records,
        status,
        done: sweep.done,
        total: sweep.total,
      });
    } catch {
      // Saving is best effort; the sweep itself goes on.
    }
  }

  /** Show the stored sweep; if it was still running when the page closed, carry on with it. */
  private async restoreSweep(): Promise<void> {
    if (!this.sweeps) return;
    try {
      const stored = await this.sweeps.load();
      if (!stored) return;
      const status = stored.status === 'running' ? 'cancelled' : stored.status;
      const state = this.store.getState();
      state.sweepRestored(stored.request, stored.records, status, stored.done, stored.total);
      // A sweep on a WebLLM model resumes only by hand, once the model is loaded again.
      const fits = taskModelMismatch(stored.request.taskId, state.activeModel) === null;
      if (stored.status === 'running' && fits) await this.startSweep(stored.request);
    } catch {
      // No IndexedDB (private mode): sweeps still run, they just do not survive a reload.
    }
  }

  /** Run the animation-frame clock only while playing. */
  private syncClock(): void {
    const playing = this.store.getState().playing;
    if (playing && this.frame === null) {
      this.lastFrameTime = null;
      const loop = (time: number) => {
        const elapsed =
          this.lastFrameTime === null ? 0 : Math.min(MAX_FRAME_MS, time - this.lastFrameTime);
        this.lastFrameTime = time;
        this.store.getState().tick(elapsed);
        this.frame = this.store.getState().playing ? this.env.requestFrame(loop) : null;
      };
      this.frame = this.env.requestFrame(loop);
    } else if (!playing && this.frame !== null) {
      this.env.cancelFrame(this.frame);
      this.frame = null;
    }
  }
}

function sameRequest(a: SweepRequest, b: SweepRequest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The browser environment for the controller. */
export function browserEnv(): ControllerEnv {
  return {
    getHash: () => window.location.hash,
    replaceHash: (hash) => {
      const url = `${window.location.pathname}${window.location.search}#${hash}`;
      window.history.replaceState(null, '', url);
    },
    onHashChange(listener) {
      window.addEventListener('hashchange', listener);
      return () => window.removeEventListener('hashchange', listener);
    },
    requestFrame: (cb) => window.requestAnimationFrame(cb),
    cancelFrame: (h) => window.cancelAnimationFrame(h),
    setTimeout: (cb, ms) => window.setTimeout(cb, ms),
    clearTimeout: (h) => window.clearTimeout(h),
    modelsBaseUrl: new URL('models/', document.baseURI).href,
    dataBaseUrl: new URL('./', document.baseURI).href,
    backend: 'auto',
  };
}
