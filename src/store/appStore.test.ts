import { describe, expect, it } from 'vitest';
import { exampleBeamTrace, randomTrace } from '../engine/trace/sample-trace';
import { replayTrace } from '../engine/trace/reducer';
import type { TraceEvent } from '../engine/trace/events';
import { createAppStore } from './appStore';

function liveStore(events: TraceEvent[], runId = 'r1') {
  const store = createAppStore();
  store.getState().beginLiveTrace(runId);
  store.getState().appendEvents(runId, events);
  return store;
}

describe('trace playback in the store', () => {
  it('plays a live trace to the end and the view equals the full replay', () => {
    const events = exampleBeamTrace();
    const store = liveStore(events);
    expect(store.getState().runStatus).toBe('running');
    for (let i = 0; i < 2000 && store.getState().position.cursor < events.length; i++) {
      store.getState().tick(50);
    }
    expect(store.getState().view).toEqual(replayTrace(events));
    // Still running: playback must wait for more instead of stopping.
    expect(store.getState().playing).toBe(true);
    store.getState().endLiveRun('r1', 'completed');
    store.getState().tick(5000);
    expect(store.getState().playing).toBe(false);
  });

  it('steps back and forward, and scrubbing gives the replayed state at any cursor', () => {
    const events = randomTrace(3, 120);
    const store = liveStore(events);
    store.getState().seek(60);
    expect(store.getState().view).toEqual(replayTrace(events, 60));
    store.getState().stepBack();
    expect(store.getState().view).toEqual(replayTrace(events, 59));
    expect(store.getState().playing).toBe(false);
    store.getState().stepForward();
    store.getState().stepForward();
    expect(store.getState().view).toEqual(replayTrace(events, 61));
    store.getState().seek(10_000);
    expect(store.getState().position.cursor).toBe(events.length);
    store.getState().seek(-5);
    expect(store.getState().view).toEqual(replayTrace(events, 0));
  });

  it('ignores events from a run that was replaced', () => {
    const store = liveStore([], 'old');
    store.getState().beginLiveTrace('new');
    store.getState().appendEvents('old', exampleBeamTrace());
    expect(store.getState().events).toHaveLength(0);
    store.getState().endLiveRun('old', 'cancelled');
    expect(store.getState().runStatus).toBe('waiting');
  });

  it('loads a valid trace file and replays it from the start', () => {
    const store = liveStore(randomTrace(1, 30));
    store.getState().selectNode('root');
    const events = exampleBeamTrace();
    expect(store.getState().loadTrace(events, 'x.json')).toEqual({ ok: true });
    expect(store.getState().source).toEqual({ kind: 'file', name: 'x.json' });
    expect(store.getState().position.cursor).toBe(0);
    expect(store.getState().selectedNodeId).toBeNull();
    store.getState().tick(1e6);
    expect(store.getState().view).toEqual(replayTrace(events));
    expect(store.getState().playing).toBe(false);
  });

  it('rejects a trace that does not replay and keeps the current one intact', () => {
    const events = exampleBeamTrace();
    const store = liveStore(events);
    store.getState().seek(20);
    const before = store.getState();
    const broken: TraceEvent[] = [
      ...events.slice(0, 3),
      { type: 'text_appended', id: 'nobody', text: 'x', tokens: 1 },
    ];
    const result = store.getState().loadTrace(broken, 'bad.json');
    expect(result.ok).toBe(false);
    const after = store.getState();
    expect(after.events).toBe(before.events);
    expect(after.view).toBe(before.view);
    expect(after.source).toEqual({ kind: 'live', runId: 'r1' });
  });

  it('play at the end of a finished trace restarts from the beginning', () => {
    const events = exampleBeamTrace();
    const store = liveStore(events);
    store.getState().endLiveRun('r1', 'completed');
    store.getState().seek(events.length);
    store.getState().pause();
    store.getState().play();
    expect(store.getState().position.cursor).toBe(0);
    expect(store.getState().playing).toBe(true);
  });
});

describe('settings slice', () => {
  it('changing the level picks a problem of that level', () => {
    const store = createAppStore();
    store.getState().setSetting('level', 1);
    expect(store.getState().settings.problemId).toMatch(/^arith-L1-/);
  });
});

describe('notices', () => {
  it('does not repeat an identical notice and keeps only the last few', () => {
    const store = createAppStore();
    const a = store.getState().pushNotice('error', 'boom');
    const b = store.getState().pushNotice('error', 'boom');
    expect(a).toBe(b);
    for (let i = 0; i < 10; i++) store.getState().pushNotice('info', `n${i}`);
    expect(store.getState().notices.length).toBeLessThanOrEqual(4);
  });
});
