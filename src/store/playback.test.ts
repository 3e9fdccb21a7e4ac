import { describe, expect, it } from 'vitest';
import { exampleBeamTrace } from '../engine/trace/sample-trace';
import { advancePlayback, eventDurationMs, playbackAtEnd, revealFractionOf } from './playback';

const events = exampleBeamTrace();
const totalMs = events.reduce((t, e) => t + eventDurationMs(e), 0);

describe('advancePlayback', () => {
  it('reaches the end after exactly the summed durations, not before', () => {
    const almost = advancePlayback({ cursor: 0, reveal: 1 }, events, totalMs - 5, 1);
    expect(playbackAtEnd(almost, events.length)).toBe(false);
    const end = advancePlayback(almost, events, 10, 1);
    expect(playbackAtEnd(end, events.length)).toBe(true);
  });

  it('is the same in many small ticks as in one big one', () => {
    let pos = { cursor: 0, reveal: 1 };
    for (let i = 0; i < 200; i++) pos = advancePlayback(pos, events, 7, 1);
    const once = advancePlayback({ cursor: 0, reveal: 1 }, events, 1400, 1);
    expect(pos.cursor).toBe(once.cursor);
    expect(pos.reveal).toBeCloseTo(once.reveal, 6);
  });

  it('runs twice as far at speed 2', () => {
    const a = advancePlayback({ cursor: 0, reveal: 1 }, events, 1000, 2);
    const b = advancePlayback({ cursor: 0, reveal: 1 }, events, 2000, 1);
    expect(a).toEqual(b);
  });

  it('reveals text gradually: halfway through a text event shows half', () => {
    const idx = events.findIndex((e) => e.type === 'text_appended' && e.tokens > 5);
    const start = { cursor: idx + 1, reveal: 0 };
    const half = advancePlayback(start, events, eventDurationMs(events[idx]!) / 2, 1);
    expect(half.cursor).toBe(idx + 1);
    expect(revealFractionOf(half, events)).toBeCloseTo(0.5, 6);
  });

  it('waits at the last event while a live run has not sent more', () => {
    const some = events.slice(0, 5);
    const pos = advancePlayback({ cursor: 0, reveal: 1 }, some, 1e6, 1);
    expect(pos).toEqual({ cursor: 5, reveal: 1 });
    const more = advancePlayback(pos, events, 1, 1);
    expect(more.cursor).toBe(6);
  });

  it('reports a reveal of 1 for events that are not text', () => {
    expect(revealFractionOf({ cursor: 1, reveal: 0.2 }, events)).toBe(1);
  });
});
