/**
 * The playback clock, as pure functions. Playback replays the trace event by event; a
 * text_appended event is revealed token by token over a time proportional to its tokens, every
 * other event takes a short fixed beat so structure changes (pruning, selection) can be seen.
 * The run itself may finish long before the animation does.
 */
import type { TraceEvent } from '../engine/trace/events';

/** Where playback stands: `cursor` events are applied; the last one is `reveal` (0..1) shown. */
export interface PlaybackPosition {
  cursor: number;
  reveal: number;
}

/** Milliseconds per generated token at speed 1 (about 30 tokens a second, a readable pace). */
export const MS_PER_TOKEN = 35;
/** A text event never takes longer than this at speed 1, so a long completion does not stall. */
export const MAX_TEXT_MS = 900;

/**
 * How long an event takes to play at speed 1, in milliseconds. Zero-length events are applied
 * together with the next one.
 */
export function eventDurationMs(event: TraceEvent): number {
  switch (event.type) {
    case 'text_appended':
      return Math.min(MAX_TEXT_MS, Math.max(1, event.tokens) * MS_PER_TOKEN);
    case 'run_started':
      return 300;
    case 'node_created':
      return 40;
    case 'scored':
      return 120;
    case 'kept':
    case 'pruned':
      return 500;
    case 'finished':
      return 100;
    case 'selected':
      return 900;
    case 'cost':
    case 'run_finished':
      return 0;
  }
}

/**
 * Advance playback by `elapsedMs` of wall time at `speed`. Stops at the last available event
 * (more may still stream in from a live run).
 *
 * @param position where playback stands now
 * @param events the trace so far
 * @param elapsedMs wall time since the previous tick
 * @param speed playback speed multiplier (2 = twice as fast)
 */
export function advancePlayback(
  position: PlaybackPosition,
  events: readonly TraceEvent[],
  elapsedMs: number,
  speed: number,
): PlaybackPosition {
  let { cursor, reveal } = position;
  let budget = Math.max(0, elapsedMs) * speed;
  for (;;) {
    const current = cursor > 0 ? events[cursor - 1] : undefined;
    if (current && reveal < 1) {
      const duration = eventDurationMs(current);
      const remaining = (1 - reveal) * duration;
      if (budget < remaining) {
        reveal += budget / duration;
        break;
      }
      budget -= remaining;
      reveal = 1;
    }
    if (cursor >= events.length) break;
    cursor += 1;
    reveal = 0;
    const next = events[cursor - 1] as TraceEvent;
    if (eventDurationMs(next) === 0) reveal = 1;
    else if (budget <= 0) break;
  }
  return { cursor, reveal };
}

/** Whether playback has shown everything there is (and nothing more can come). */
export function playbackAtEnd(position: PlaybackPosition, eventCount: number): boolean {
  return position.cursor >= eventCount && position.reveal >= 1;
}

/**
 * What views get as `revealFraction`: the share of the newest shown event's text that is
 * visible. 1 whenever the newest event is not text.
 */
export function revealFractionOf(
  position: PlaybackPosition,
  events: readonly TraceEvent[],
): number {
  const current = position.cursor > 0 ? events[position.cursor - 1] : undefined;
  if (!current || current.type !== 'text_appended') return 1;
  return Math.min(1, Math.max(0, position.reveal));
}
