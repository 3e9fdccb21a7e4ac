/**
 * Cross-check with the strategies: every trace a strategy emits (completed or cancelled) passes the
 * validator, survives a save/load round trip, and replays to exactly the live state.
 */
import { describe, it, expect } from 'vitest';
import { runStrategy } from '../run';
import { arithHarness, configs } from '../testing';
import type { StrategyConfig } from '../types';
import type { TraceEvent } from './events';
import { parseTraceFile, serializeTrace } from './io';
import { applyEvent, initialTraceState, replayTrace } from './reducer';

const strategies: [string, StrategyConfig][] = [
  ['best-of-n', configs.bestOfN()],
  ['revisions', configs.revisions()],
  ['beam', configs.beam()],
  ['lookahead', configs.lookahead()],
  ['dvts', configs.dvts()],
];

describe('strategy traces', () => {
  for (const [name, config] of strategies) {
    it(`${name}: valid, round-trips, replays to the live state (also when cancelled)`, async () => {
      for (const abortAfter of [null, 5, 25]) {
        const controller = new AbortController();
        const { ctx } = arithHarness({ config, seed: 3, signal: controller.signal });
        const events: TraceEvent[] = [];
        let live = initialTraceState();
        for await (const event of runStrategy(ctx)) {
          events.push(event);
          live = applyEvent(live, event);
          if (events.length === abortAfter) controller.abort();
        }
        const parsed = parseTraceFile(serializeTrace(events));
        expect(parsed.ok ? 'valid' : parsed.error).toBe('valid');
        if (!parsed.ok) continue;
        expect(replayTrace(parsed.trace.events)).toEqual(live);
        // A cancelled run still ends with run_finished (a run may also finish before the abort lands).
        const expected = abortAfter === null ? ['completed'] : ['completed', 'cancelled'];
        expect(expected).toContain(live.finished?.status);
        expect(events[events.length - 1]?.type).toBe('run_finished');
      }
    });
  }
});
