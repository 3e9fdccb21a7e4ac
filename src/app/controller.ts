/**
 * Connects the store to the outside world: the engine worker, the URL hash, the playback clock
 * and trace files. The store stays pure; every side effect of the page starts here.
 * Created once by main.tsx, with `dispose()` for tests and hot reload.
 */
import { parseTraceFile, serializeTrace } from '../engine/trace/io';
import type { AppStore } from '../store/appStore';
import {
  runKey,
  settingsFromHash,
  settingsToHash,
  strategyConfigFor,
  type RunSettings,
} from '../store/settings';
import type { SweepRequest } from '../store/sweepTypes';
import { taskEntry } from './tasks';
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
  backend: BackendChoice;
}

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

  constructor(
    private readonly store: AppStore,
    private readonly engine: EngineChannel,
    private readonly env: ControllerEnv,
    private readonly sweeps: SweepPersistence | null = null,
  ) {}

  /** Load the models, start the default run and begin following the URL. */
  start(): void {
    this.cleanups.push(this.engine.subscribe((m) => this.onWorkerMessage(m)));
    this.engine.post({
      type: 'load-models',
      baseUrl: this.env.modelsBaseUrl,
      backend: this.env.backend,
    });

    this.env.replaceHash(settingsToHash(this.store.getState().settings));
    this.cleanups.push(
      this.store.subscribe((state, previous) => {
        if (state.settings !== previous.settings) this.onSettingsChanged(state.settings);
        if (state.playing !== previous.playing) this.syncClock();
      }),
    );
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
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    if (this.frame !== null) this.env.cancelFrame(this.frame);
    this.frame = null;
  }

  /** Start a run with the current settings, replacing the current trace. */
  startRun(): void {
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    this.pendingRun = null;
    const state = this.store.getState();
    const settings = state.settings;
    this.lastRunKey = runKey(settings);
    const current = state.source;
    if (
      current?.kind === 'live' &&
      (state.runStatus === 'running' || state.runStatus === 'waiting')
    ) {
      this.engine.post({ type: 'cancel-run', runId: current.runId });
    }
    let request: RunRequest;
    try {
      request = this.runRequest(settings);
    } catch (e) {
      state.pushNotice('error', e instanceof Error ? e.message : String(e));
      return;
    }
    const runId = `page-run-${++this.runCounter}`;
    state.beginLiveTrace(runId);
    this.engine.post({ type: 'start-run', runId, request });
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
    // Speed and presentation only change how the trace is shown, never the run.
    if (runKey(settings) === this.lastRunKey) return;
    if (this.pendingRun !== null) this.env.clearTimeout(this.pendingRun);
    this.pendingRun = this.env.setTimeout(() => this.startRun(), RUN_DEBOUNCE_MS);
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
      this.store
        .getState()
        .sweepRestored(stored.request, stored.records, status, stored.done, stored.total);
      if (stored.status === 'running') await this.startSweep(stored.request);
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
    backend: 'auto',
  };
}
