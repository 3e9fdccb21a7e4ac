import { describe, it, expect } from 'vitest';
import type { TraceEvent, TraceState } from './events';
import {
  applyEvent,
  applyEvents,
  initialTraceState,
  pathToNode,
  replayTrace,
  TraceReplayError,
} from './reducer';
import { exampleBeamTrace, randomTrace } from './sample-trace';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe('applyEvent', () => {
  it('builds the example beam search tree', () => {
    const events = exampleBeamTrace();
    const state = replayTrace(events);
    expect(state.cursor).toBe(events.length);
    expect(state.run?.strategy.kind).toBe('beam');
    expect(state.order).toEqual(['root', 'a', 'b', 'c', 'd', 'a1', 'a2', 'c1', 'c2']);
    expect(state.nodes.root?.children).toEqual(['a', 'b', 'c', 'd']);
    expect(state.nodes.a?.children).toEqual(['a1', 'a2']);
    expect(state.nodes.a1?.depth).toBe(2);
    expect(state.nodes.d?.text).toBe('37+45=83\n');
    expect(state.nodes.d?.tokens).toBe(9);
    // a1's path: root (0) + a (9) + a1 (15)
    expect(state.nodes.a1?.cumulativeTokens).toBe(24);
    expect(state.nodes.b?.status).toBe('pruned');
    expect(state.nodes.a?.status).toBe('kept');
    expect(state.nodes.c2?.status).toBe('finished');
    expect(state.nodes.c2?.answer).toBe('160');
    expect(state.nodes.c2?.correct).toBe(false);
    expect(state.nodes.c2?.finishReason).toBe('answer');
    expect(state.nodes.a2?.stepScores).toEqual([0.9, 0.05]);
    expect(state.nodes.a2?.scoreSource).toBe('oracle');
    expect(state.round).toBe(1);
    // The selected path: a1 and its ancestors, nothing else.
    const selected = state.order.filter((id) => state.nodes[id]?.selected);
    expect(selected.sort()).toEqual(['a', 'a1', 'root']);
    expect(state.selection?.answer).toBe('164');
    expect(state.costs).toEqual({
      generations: 4,
      generatedTokens: 90,
      promptTokens: 128,
      verifierTokens: 0,
      flops: 2 * 1000 * 218,
    });
    expect(state.finished?.status).toBe('completed');
    expect(pathToNode(state, 'c1')).toEqual(['root', 'c', 'c1']);
    expect(state.nodes.a1?.createdAt).toBe(19);
  });

  it('does not mutate its input (deep-frozen) and shares what did not change', () => {
    for (const events of [exampleBeamTrace(), randomTrace(1), randomTrace(2, 200)]) {
      let state = deepFreeze(initialTraceState());
      for (const event of events) {
        const next = applyEvent(state, deepFreeze(event));
        expect(next).not.toBe(state);
        if (event.type === 'cost' || event.type === 'run_started') {
          expect(next.nodes).toBe(state.nodes);
        }
        if (event.type === 'text_appended') {
          for (const id of state.order) {
            // Nodes off the appended path keep their identity.
            if (id !== event.id && next.nodes[id]?.children.length === 0) {
              const isDescendant = pathToNode(next, id).includes(event.id);
              if (!isDescendant) expect(next.nodes[id]).toBe(state.nodes[id]);
            }
          }
        }
        state = deepFreeze(next);
      }
    }
  });

  it('replay to every cursor equals incremental application', () => {
    for (const seed of [3, 4, 5]) {
      const events = randomTrace(seed, 150);
      let live: TraceState = initialTraceState();
      for (let cursor = 0; cursor <= events.length; cursor++) {
        expect(replayTrace(events, cursor)).toEqual(live);
        const event = events[cursor];
        if (event) live = applyEvent(live, event);
      }
      expect(applyEvents(initialTraceState(), events)).toEqual(live);
    }
  });

  it('a trace replayed from JSON equals the live state', () => {
    for (const events of [exampleBeamTrace(), randomTrace(9, 300)]) {
      let live = initialTraceState();
      for (const event of events) live = applyEvent(live, event);
      const parsed = JSON.parse(JSON.stringify(events)) as TraceEvent[];
      const replayed = replayTrace(parsed);
      expect(replayed).toEqual(live);
      // Also equal as JSON, so no field is `undefined` on one side and missing on the other.
      expect(JSON.stringify(replayed)).toBe(JSON.stringify(live));
    }
  });

  it('keeps cumulative tokens right when text arrives after children exist', () => {
    const events: TraceEvent[] = [
      ...exampleBeamTrace().slice(0, 2),
      { type: 'node_created', id: 'x', parent: 'root', kind: 'step' },
      { type: 'node_created', id: 'y', parent: 'x', kind: 'step' },
      { type: 'text_appended', id: 'y', text: 'bb', tokens: 2 },
      { type: 'text_appended', id: 'root', text: 'Q', tokens: 5 },
      { type: 'text_appended', id: 'x', text: 'a', tokens: 1 },
    ];
    const state = replayTrace(events);
    expect(state.nodes.x?.cumulativeTokens).toBe(6);
    expect(state.nodes.y?.cumulativeTokens).toBe(8);
  });

  it('a new selection replaces the previous selected path', () => {
    const events = exampleBeamTrace().slice(0, -1);
    events.push({
      type: 'selected',
      id: 'c2',
      answer: '160',
      correct: false,
      method: 'naive',
      votes: [],
    });
    const state = replayTrace(events);
    const selected = state.order.filter((id) => state.nodes[id]?.selected).sort();
    expect(selected).toEqual(['c', 'c2', 'root']);
    events.push({
      type: 'selected',
      id: null,
      answer: null,
      correct: false,
      method: 'naive',
      votes: [],
    });
    const none = replayTrace(events);
    expect(none.order.filter((id) => none.nodes[id]?.selected)).toEqual([]);
  });

  it('throws a clear error on unknown node ids and duplicates, leaving the input intact', () => {
    const start = replayTrace(exampleBeamTrace().slice(0, 3));
    const frozen = deepFreeze(start);
    const bad: TraceEvent[] = [
      { type: 'text_appended', id: 'nope', text: 'x', tokens: 1 },
      { type: 'node_created', id: 'z', parent: 'ghost', kind: 'step' },
      { type: 'node_created', id: 'root', parent: null, kind: 'root' },
      { type: 'scored', id: 'ghost', score: 0.5, stepScores: [0.5], source: 'prm' },
      { type: 'pruned', ids: ['root', 'ghost'], round: 0 },
      { type: 'finished', id: 'ghost', answer: null, correct: false, reason: 'eos' },
      { type: 'selected', id: 'ghost', answer: null, correct: false, method: 'naive', votes: [] },
    ];
    for (const event of bad) {
      expect(() => applyEvent(frozen, event)).toThrow(TraceReplayError);
    }
    expect(() => applyEvent(frozen, bad[0] as TraceEvent)).toThrow(
      'trace event 3 (text_appended): unknown node id "nope"',
    );
    expect(() => applyEvent(frozen, bad[2] as TraceEvent)).toThrow('already exists');
    expect(frozen.nodes.root?.status).toBe('active');
  });

  it('clamps the cursor', () => {
    const events = exampleBeamTrace();
    expect(replayTrace(events, -3)).toEqual(initialTraceState());
    expect(replayTrace(events, 10_000).cursor).toBe(events.length);
  });
});
