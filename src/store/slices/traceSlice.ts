import type { StateCreator } from 'zustand/vanilla';
import type { TraceEvent, TraceState } from '../../engine/trace/events';
import { applyEvents, initialTraceState, replayTrace } from '../../engine/trace/reducer';
import { advancePlayback, playbackAtEnd, type PlaybackPosition } from '../playback';
import type { AppState } from '../appStore';

export type RunStatus = 'idle' | 'waiting' | 'running' | 'completed' | 'cancelled' | 'error';

/** Where the current trace came from: a run in the worker, or a file the user opened. */
export type TraceSource = { kind: 'live'; runId: string } | { kind: 'file'; name: string };

/**
 * The current trace and its playback. `events` is the whole trace received so far; `view` is the
 * trace replayed up to the playback cursor, which is what the views draw.
 */
export interface TraceSlice {
  events: TraceEvent[];
  source: TraceSource | null;
  runStatus: RunStatus;
  runError: string | null;
  /**
   * Why the current settings cannot run on the active model (a GSM8K link opened while only
   * TinyMath is loaded); null when they can. No trace is shown while blocked.
   */
  runBlocked: string | null;
  position: PlaybackPosition;
  playing: boolean;
  view: TraceState;

  /** Start an empty live trace for run `runId` (status 'waiting' until the first event). */
  beginLiveTrace(runId: string): void;
  /** The settings cannot run on the active model: clear the trace and say why. */
  blockRun(reason: string): void;
  /** Events from the worker for run `runId`; ignored when they belong to an older run. */
  appendEvents(runId: string, events: readonly TraceEvent[]): void;
  /** The worker's run ended (its run_finished event, or an error that prevented one). */
  endLiveRun(
    runId: string,
    status: Exclude<RunStatus, 'idle' | 'waiting' | 'running'>,
    error?: string,
  ): void;
  /**
   * Replace the trace by a complete one (an imported file). Validates by replaying it first and,
   * if it does not replay, leaves everything as it was and returns the reason.
   */
  loadTrace(events: TraceEvent[], name: string): { ok: true } | { ok: false; error: string };

  play(): void;
  pause(): void;
  togglePlay(): void;
  /** Show one more event, fully revealed. */
  stepForward(): void;
  /** Show one event less. */
  stepBack(): void;
  /** Jump to a cursor (the scrubber). */
  seek(cursor: number): void;
  /** Advance the playback clock by wall time `elapsedMs` (called every animation frame). */
  tick(elapsedMs: number): void;
}

function isLiveRun(state: AppState, runId: string): boolean {
  return state.source?.kind === 'live' && state.source.runId === runId;
}

/** The view for a new position, reusing the current view when moving forward. */
function viewAt(events: readonly TraceEvent[], from: TraceState, cursor: number): TraceState {
  if (cursor === from.cursor) return from;
  if (cursor > from.cursor) return applyEvents(from, events.slice(from.cursor, cursor));
  return replayTrace(events, cursor);
}

export const createTraceSlice: StateCreator<AppState, [], [], TraceSlice> = (set, get) => {
  /** Move playback; keeps `view` in step with the cursor. */
  const moveTo = (position: PlaybackPosition, extra: Partial<AppState> = {}) => {
    const { events, view } = get();
    const cursor = Math.max(0, Math.min(events.length, position.cursor));
    set({
      position: { cursor, reveal: position.reveal },
      view: viewAt(events, view, cursor),
      ...extra,
    });
  };

  const runIsLive = (s: AppState) => s.runStatus === 'running' || s.runStatus === 'waiting';

  return {
    events: [],
    source: null,
    runStatus: 'idle',
    runError: null,
    runBlocked: null,
    position: { cursor: 0, reveal: 1 },
    playing: false,
    view: initialTraceState(),

    beginLiveTrace(runId) {
      set({
        events: [],
        source: { kind: 'live', runId },
        runStatus: 'waiting',
        runError: null,
        runBlocked: null,
        position: { cursor: 0, reveal: 1 },
        playing: true,
        view: initialTraceState(),
        selectedNodeId: null,
      });
    },

    blockRun(reason) {
      set({
        events: [],
        source: null,
        runStatus: 'idle',
        runError: null,
        runBlocked: reason,
        position: { cursor: 0, reveal: 1 },
        playing: false,
        view: initialTraceState(),
        selectedNodeId: null,
      });
    },

    appendEvents(runId, incoming) {
      const state = get();
      if (!isLiveRun(state, runId) || incoming.length === 0) return;
      set({
        events: state.events.concat(incoming),
        runStatus: state.runStatus === 'waiting' ? 'running' : state.runStatus,
      });
    },

    endLiveRun(runId, status, error) {
      const state = get();
      if (!isLiveRun(state, runId)) return;
      set({ runStatus: status, runError: error ?? null });
    },

    loadTrace(events, name) {
      let view: TraceState;
      try {
        view = replayTrace(events);
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      const finished = view.finished;
      set({
        events,
        source: { kind: 'file', name },
        runStatus: finished ? finished.status : 'completed',
        runError: finished?.error ?? null,
        runBlocked: null,
        // Start from the beginning so the imported run plays like a live one.
        position: { cursor: 0, reveal: 1 },
        view: initialTraceState(),
        playing: true,
        selectedNodeId: null,
      });
      return { ok: true };
    },

    play() {
      const state = get();
      // Pressing play at the end of a finished trace replays it from the start, like a media player.
      if (!runIsLive(state) && playbackAtEnd(state.position, state.events.length)) {
        moveTo({ cursor: 0, reveal: 1 }, { playing: true });
      } else {
        set({ playing: true });
      }
    },
    pause() {
      set({ playing: false });
    },
    togglePlay() {
      if (get().playing) get().pause();
      else get().play();
    },
    stepForward() {
      const { position } = get();
      moveTo(
        { cursor: position.reveal < 1 ? position.cursor : position.cursor + 1, reveal: 1 },
        {
          playing: false,
        },
      );
    },
    stepBack() {
      const { position } = get();
      moveTo({ cursor: position.cursor - 1, reveal: 1 }, { playing: false });
    },
    seek(cursor) {
      moveTo({ cursor: Math.round(cursor), reveal: 1 });
    },
    tick(elapsedMs) {
      const state = get();
      if (!state.playing) return;
      const next = advancePlayback(state.position, state.events, elapsedMs, state.settings.speed);
      const done = !runIsLive(state) && playbackAtEnd(next, state.events.length);
      if (next.cursor === state.position.cursor && next.reveal === state.position.reveal) {
        if (done) set({ playing: false });
        return;
      }
      moveTo(next, done ? { playing: false } : {});
    },
  };
};
