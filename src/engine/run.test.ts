import { describe, it, expect } from 'vitest';
import { makeRunId, runStrategy, runToCompletion } from './run';
import { arithHarness, configs, traceProblems } from './testing';
import { applyEvent, initialTraceState, replayTrace } from './trace/reducer';
import { validateTraceFile } from './trace/validate';
import { TRACE_VERSION, type TraceEvent } from './trace/events';
import type { StrategyConfig } from './types';

const ALL: StrategyConfig[] = [
  configs.bestOfN(8),
  configs.revisions(8, 2),
  configs.beam(8, 4),
  configs.lookahead(8, 4, 2),
  configs.dvts(8, 4),
];

function liveState(events: readonly TraceEvent[]) {
  // Built the way a view builds it while the run streams: one event at a time.
  return events.reduce(applyEvent, initialTraceState());
}

function asFile(events: readonly TraceEvent[]) {
  return { format: 'ttc-lab-trace', version: TRACE_VERSION, events };
}

describe('runStrategy', () => {
  it.each(ALL.map((c) => [c.kind, c] as const))(
    '%s: framed trace, costs add up, valid, and a JSON round trip replays to the live state',
    async (_kind, config) => {
      const { ctx } = arithHarness({ config, stepErrorRate: 0.3 });
      const r = await runToCompletion(ctx);
      expect(r.status).toBe('completed');
      expect(traceProblems(r.events)).toEqual([]);
      const first = r.events[0];
      expect(first?.type === 'run_started' && first.version).toBe(TRACE_VERSION);
      expect(r.events[1]).toEqual({ type: 'node_created', id: 'root', parent: null, kind: 'root' });
      const selected = r.events.filter((e) => e.type === 'selected');
      expect(selected).toHaveLength(1);
      expect(r.answer).toBe(selected[0]?.type === 'selected' ? selected[0].answer : undefined);
      expect(r.costs.generations).toBe(
        config.kind === 'lookahead' ? config.n * (config.lookahead + 1) : config.n,
      );

      const validation = validateTraceFile(asFile(r.events));
      expect(validation.ok ? [] : validation.errors).toEqual([]);

      const parsed = JSON.parse(JSON.stringify(asFile(r.events))) as { events: TraceEvent[] };
      expect(replayTrace(parsed.events)).toEqual(liveState(r.events));
      // Any cursor, too.
      const mid = Math.floor(r.events.length / 2);
      expect(replayTrace(parsed.events, mid)).toEqual(liveState(r.events.slice(0, mid)));
    },
  );

  it('the trace checks catch tampered traces (so the tests above can fail)', async () => {
    const { events } = await runToCompletion(arithHarness({ config: configs.beam() }).ctx);
    const noText = events.filter((e, i) => !(e.type === 'text_appended' && i > 5 && i < 12));
    expect(traceProblems(noText).join()).toMatch(/generatedTokens/);
    const lastCost = events.map((e) => e.type).lastIndexOf('cost');
    expect(traceProblems(events.filter((_, i) => i !== lastCost)).join()).toMatch(/costs\./);
    const orphan = events.filter((e) => !(e.type === 'node_created' && e.id === 'n1'));
    expect(traceProblems(orphan).length).toBeGreaterThan(0);
  });

  it('same seed and settings give an identical trace; another seed a different one', async () => {
    for (const config of ALL) {
      const a = await runToCompletion(arithHarness({ config, seed: 7 }).ctx);
      const b = await runToCompletion(arithHarness({ config, seed: 7 }).ctx);
      const c = await runToCompletion(arithHarness({ config, seed: 8 }).ctx);
      expect(JSON.stringify(a.events)).toBe(JSON.stringify(b.events));
      expect(JSON.stringify(c.events)).not.toBe(JSON.stringify(a.events));
    }
  });

  it('run ids depend on seed and settings only', () => {
    const a = arithHarness({ config: configs.beam(), seed: 3 }).ctx;
    expect(makeRunId(a)).toBe(makeRunId(arithHarness({ config: configs.beam(), seed: 3 }).ctx));
    expect(makeRunId(a)).not.toBe(makeRunId(arithHarness({ config: configs.beam(), seed: 4 }).ctx));
    expect(makeRunId(a)).not.toBe(makeRunId(arithHarness({ config: configs.dvts(), seed: 3 }).ctx));
  });

  it.each(
    ALL.flatMap((c) => (['reject', 'return'] as const).map((mode) => [c.kind, mode, c] as const)),
  )(
    '%s (%s on abort): a cancelled run stops, ends cancelled and still replays',
    async (_k, mode, config) => {
      const ac = new AbortController();
      let callsAfterAbort = 0;
      const { ctx, model } = arithHarness({
        config,
        abortMode: mode,
        signal: ac.signal,
        // Best-of-N then takes two calls, so the abort lands mid-run for every strategy.
        capabilities: { maxBatch: 4 },
        onGenerate: (_req, i) => {
          if (ac.signal.aborted) callsAfterAbort++;
          if (i === 1) ac.abort();
        },
      });
      const r = await runToCompletion(ctx);
      expect(r.status).toBe('cancelled');
      expect(callsAfterAbort).toBe(0);
      expect(model.requests).toHaveLength(2);
      expect(r.events.filter((e) => e.type === 'run_finished')).toHaveLength(1);
      expect(r.events.some((e) => e.type === 'selected')).toBe(false);
      expect(r.answer).toBeNull();
      expect(traceProblems(r.events)).toEqual([]);
      const validation = validateTraceFile(asFile(r.events));
      expect(validation.ok ? [] : validation.errors).toEqual([]);
      expect(() => replayTrace(r.events)).not.toThrow();
      expect(replayTrace(r.events).finished?.status).toBe('cancelled');
    },
  );

  it('a signal aborted before the start cancels without calling the backend', async () => {
    const ac = new AbortController();
    ac.abort();
    const { ctx, model } = arithHarness({ config: configs.bestOfN(), signal: ac.signal });
    const r = await runToCompletion(ctx);
    expect(r.status).toBe('cancelled');
    expect(model.requests).toHaveLength(0);
    expect(traceProblems(r.events)).toEqual([]);
  });

  it('errors end the run with status error and the message', async () => {
    const noVerifier = await runToCompletion(
      arithHarness({ config: configs.beam(), verifier: 'none' }).ctx,
    );
    expect(noVerifier.status).toBe('error');
    expect(noVerifier.error).toMatch(/needs a verifier/);
    expect(traceProblems(noVerifier.events)).toEqual([]);

    const badSplit = await runToCompletion(arithHarness({ config: configs.revisions(8, 3) }).ctx);
    expect(badSplit.status).toBe('error');
    expect(badSplit.error).toMatch(/power of two/);

    const badBeam = await runToCompletion(arithHarness({ config: configs.beam(8, 3) }).ctx);
    expect(badBeam.error).toMatch(/must divide/);
  });

  it('streams: events arrive before the run ends', async () => {
    const { ctx } = arithHarness({ config: configs.beam() });
    const gen = runStrategy(ctx);
    const first = await gen.next();
    expect(first.value?.type).toBe('run_started');
    // The consumer can stop early; nothing else runs.
    await gen.return(undefined);
  });

  it('works on a WebLLM-like backend: no batching, and no stop strings at all', async () => {
    for (const config of ALL) {
      const normal = await runToCompletion(arithHarness({ config }).ctx);
      const { ctx, model } = arithHarness({
        config,
        capabilities: { batching: false, maxBatch: 1, maxStopStrings: 0 },
      });
      const r = await runToCompletion(ctx);
      expect(r.status).toBe('completed');
      expect(model.requests.every((q) => q.prompts.length === 1 && q.stop === undefined)).toBe(
        true,
      );
      expect(traceProblems(r.events)).toEqual([]);
      // Text is cut at the step delimiter afterwards, so the tree has the same shape.
      const shape = (ev: TraceEvent[]) =>
        ev
          .filter((e) => e.type === 'node_created')
          .map((e) => (e.type === 'node_created' ? e.kind : ''));
      if (config.kind === 'best-of-n' || config.kind === 'revisions') continue;
      expect(shape(r.events).length).toBeGreaterThan(1);
      expect(shape(normal.events).length).toBeGreaterThan(1);
    }
  });
});
