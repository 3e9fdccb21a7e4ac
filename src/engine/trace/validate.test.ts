import { describe, it, expect } from 'vitest';
import { TRACE_VERSION, type TraceEvent } from './events';
import { parseTraceFile, serializeTrace } from './io';
import { replayTrace } from './reducer';
import { exampleBeamTrace, randomTrace } from './sample-trace';
import { MAX_LISTED_ERRORS, validateAgainstDef, validateTraceFile } from './validate';

function file(events: unknown[]): unknown {
  return { format: 'ttc-lab-trace', version: TRACE_VERSION, events };
}

function errorsOf(x: unknown): string[] {
  const result = validateTraceFile(x);
  if (result.ok) throw new Error('expected the trace to be invalid');
  return result.errors;
}

/** A deep copy of the example trace with one event replaced or patched. */
function patched(index: number, patch: Record<string, unknown>): unknown[] {
  const events = JSON.parse(JSON.stringify(exampleBeamTrace())) as Record<string, unknown>[];
  events[index] = { ...events[index], ...patch };
  return events;
}

describe('validateTraceFile', () => {
  it('accepts the example trace and random well-formed traces', () => {
    for (const events of [exampleBeamTrace(), randomTrace(1), randomTrace(2, 400)]) {
      const result = validateTraceFile(file(events));
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  it('names the path and the problem for out-of-range and mistyped fields', () => {
    // events[13] is the first `scored` event of the example.
    expect(errorsOf(file(patched(13, { score: 1.7 })))).toEqual([
      'events[13].score: expected a number in [0,1], got 1.7',
    ]);
    expect(errorsOf(file(patched(13, { stepScores: [0.5, -0.1] })))).toEqual([
      'events[13].stepScores[1]: expected a number in [0,1], got -0.1',
    ]);
    expect(errorsOf(file(patched(7, { tokens: '9' })))).toEqual([
      'events[7].tokens: expected an integer ≥ 0, got "9"',
    ]);
    expect(errorsOf(file(patched(7, { tokens: 2.5 })))).toEqual([
      'events[7].tokens: expected an integer ≥ 0, got 2.5',
    ]);
    expect(errorsOf(file(patched(7, { logprobs: [-0.1, 0.3] })))).toEqual([
      'events[7].logprobs[1]: expected a number ≤ 0, got 0.3',
    ]);
    expect(errorsOf(file(patched(1, { kind: 'leaf' })))).toEqual([
      'events[1].kind: expected one of "root", "step", "answer", "attempt", got "leaf"',
    ]);
    expect(errorsOf(file(patched(5, { color: 'red' })))).toEqual([
      'events[5]: unexpected field "color"',
    ]);
    const missing = JSON.parse(JSON.stringify(exampleBeamTrace())) as Record<string, unknown>[];
    delete missing[7]?.tokens;
    expect(errorsOf(file(missing))).toEqual(['events[7]: missing field "tokens"']);
  });

  it('rejects non-finite numbers in in-memory traces', () => {
    expect(errorsOf(file(patched(12, { delta: { ...zero(), flops: Infinity } })))).toEqual([
      'events[12].delta.flops: expected a number ≥ 0, got Infinity',
    ]);
    expect(errorsOf(file(patched(13, { score: NaN })))).toEqual([
      'events[13].score: expected a number in [0,1], got NaN',
    ]);
  });

  it('checks nested definitions: strategy by kind, nullable verifier, costs', () => {
    const run = exampleBeamTrace()[0] as Extract<TraceEvent, { type: 'run_started' }>;
    expect(errorsOf(file(patched(0, { strategy: { ...run.strategy, kind: 'greedy' } })))).toEqual([
      'events[0].strategy.kind: expected one of "best-of-n", "revisions", "beam", "lookahead", "dvts", got "greedy"',
    ]);
    expect(errorsOf(file(patched(0, { strategy: { ...run.strategy, beamWidth: 0 } })))).toEqual([
      'events[0].strategy.beamWidth: expected an integer ≥ 1, got 0',
    ]);
    expect(validateTraceFile(file(patched(0, { verifier: null }))).ok).toBe(true);
    expect(errorsOf(file(patched(0, { verifier: 'prm' })))).toEqual([
      'events[0].verifier: expected an object or null, got "prm"',
    ]);
    expect(errorsOf(file(patched(0, { verifier: { ...run.verifier, kind: 'x' } })))).toEqual([
      'events[0].verifier.kind: expected one of "prm", "oracle", "judge", got "x"',
    ]);
    expect(validateAgainstDef({ ...zero(), generations: -1 }, 'costs', 'c')).toEqual([
      'c.generations: expected a number ≥ 0, got -1',
    ]);
  });

  it('reports unknown event types and non-object events', () => {
    expect(errorsOf(file(patched(5, { type: 'teleported' })))[0]).toMatch(
      /^events\[5\]\.type: expected one of "run_started", .*, got "teleported"$/,
    );
    const events = exampleBeamTrace() as unknown[];
    events.splice(3, 0, 42);
    expect(errorsOf(file(events))[0]).toBe('events[3]: expected an object, got 42');
  });

  it('checks the semantics the schema cannot express', () => {
    const ev = exampleBeamTrace();
    const first = ev[0] as TraceEvent;
    const last = ev[ev.length - 1] as TraceEvent;
    // Not starting with run_started; two run_started.
    expect(errorsOf(file(ev.slice(1)))).toContain(
      'events[0].type: the first event must be "run_started", got "node_created"',
    );
    expect(errorsOf(file([first, ...ev.slice(1, 4), first, ...ev.slice(4)]))).toEqual([
      'events[4]: run_started may only be the first event',
    ]);
    // run_finished not last, and twice.
    expect(errorsOf(file([...ev.slice(0, 5), last, ...ev.slice(5)]))).toEqual([
      `events[5]: run_finished must be the last event (${ev.length - 5} events follow it)`,
    ]);
    // Duplicate ids, parents created later, self-parents, roots with parents.
    expect(errorsOf(file(patched(4, { id: 'a' })))[0]).toBe(
      'events[4].id: node id "a" is already used by events[3]',
    );
    expect(errorsOf(file(patched(3, { parent: 'c' })))).toEqual([
      'events[3].parent: unknown node "c" (a parent must be created before its children)',
    ]);
    expect(errorsOf(file(patched(3, { parent: 'a' })))).toEqual([
      'events[3].parent: a node cannot be its own parent',
    ]);
    expect(errorsOf(file(patched(1, { parent: 'a' })))).toContain(
      'events[1].parent: a node of kind "root" must have parent null',
    );
    // References to nodes that do not exist (yet).
    expect(errorsOf(file(patched(8, { id: 'zz' })))).toEqual([
      'events[8].id: unknown node "zz" (no earlier node_created has this id)',
    ]);
    expect(errorsOf(file(patched(17, { ids: ['a', 'a9'] })))).toEqual([
      'events[17].ids[1]: unknown node "a9" (no earlier node_created has this id)',
    ]);
    expect(errorsOf(file(patched(ev.length - 2, { id: 'q' })))).toEqual([
      `events[${ev.length - 2}].id: unknown node "q" (no earlier node_created has this id)`,
    ]);
    // A node referenced before it is created.
    const early = [...ev.slice(0, 3), ev[7] as TraceEvent, ...ev.slice(3, 7), ...ev.slice(8)];
    expect(errorsOf(file(early))).toEqual([
      'events[3].id: unknown node "a" (no earlier node_created has this id)',
    ]);
    expect(errorsOf(file([]))).toEqual(['events: expected at least 1 item(s), got 0']);
  });

  it('rejects unsupported versions and wrong wrappers', () => {
    expect(errorsOf({ format: 'ttc-lab-trace', version: 99, events: [] })).toEqual([
      `version: unsupported trace version 99 (this build reads version ${TRACE_VERSION})`,
    ]);
    expect(
      errorsOf({ format: 'other', version: TRACE_VERSION, events: exampleBeamTrace() }),
    ).toEqual(['format: expected "ttc-lab-trace", got "other"']);
    expect(errorsOf([1, 2])).toEqual(['trace: expected an object, got an array of 2 items']);
    expect(errorsOf(file(patched(0, { version: 2 })))).toEqual([
      'events[0].version: expected 1, got 2',
    ]);
  });

  it('lists at most ten problems and counts the rest', () => {
    const events = JSON.parse(JSON.stringify(randomTrace(5, 300))) as Record<string, unknown>[];
    let broken = 0;
    for (const e of events) {
      if (e.type === 'text_appended') {
        e.tokens = -1;
        broken++;
      }
    }
    expect(broken).toBeGreaterThan(MAX_LISTED_ERRORS + 3);
    const result = validateTraceFile(file(events));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBe(MAX_LISTED_ERRORS + 1);
    expect(result.problemCount).toBe(broken);
    expect(result.errors[MAX_LISTED_ERRORS]).toBe(
      `... and ${broken - MAX_LISTED_ERRORS} more problems`,
    );
  });

  it('every trace it accepts replays without errors', () => {
    for (let seed = 10; seed < 30; seed++) {
      const result = validateTraceFile(file(randomTrace(seed, 120)));
      expect(result.ok).toBe(true);
      if (result.ok) expect(() => replayTrace(result.trace.events)).not.toThrow();
    }
  });
});

function zero() {
  return { generations: 0, generatedTokens: 0, promptTokens: 0, verifierTokens: 0, flops: 0 };
}

describe('serializeTrace / parseTraceFile', () => {
  it('round-trips a trace, and the replayed state equals the original', () => {
    const events = randomTrace(3, 200);
    const text = serializeTrace(events);
    expect(text).toContain('\n  "format": "ttc-lab-trace"');
    const parsed = parseTraceFile(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.trace.version).toBe(TRACE_VERSION);
    expect(parsed.trace.events).toEqual(events);
    expect(replayTrace(parsed.trace.events)).toEqual(replayTrace(events));
  });

  it('says when the text is not JSON, or empty', () => {
    const r = parseTraceFile('hello, world');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^This file is not JSON \(/);
    const empty = parseTraceFile('  \n');
    expect(empty).toEqual({ ok: false, error: 'The file is empty.' });
  });

  it('says when a file was cut short', () => {
    const text = serializeTrace(exampleBeamTrace());
    for (const cut of [text.length / 2, 10, text.length - 3]) {
      const r = parseTraceFile(text.slice(0, Math.floor(cut)));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/^The file ends too early: .*cut short/);
    }
  });

  it('says what a foreign file looks like', () => {
    const cases: [unknown, string][] = [
      [exampleBeamTrace(), 'a bare list of trace events without the file wrapper'],
      [[1, 2, 3], 'a JSON array of 3 items'],
      [{ n_embd: 64, n_layer: 2, ttc_lab: { role: 'generator' } }, 'a model config.json'],
      [{ format: 'ttc-lab-sweep', records: [] }, 'a "ttc-lab-sweep" file'],
      [
        { name: 'x', version: '1.0.0', dependencies: {} },
        'the fields "name", "version", "dependencies"',
      ],
      [{ events: [] }, 'an object with "events" but no "format": "ttc-lab-trace" field'],
      ['just a string', 'a single JSON string'],
    ];
    for (const [value, phrase] of cases) {
      const r = parseTraceFile(JSON.stringify(value));
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toMatch(/^This is not a ttc-lab trace: it looks like /);
      expect(r.error).toContain(phrase);
    }
  });

  it('rejects other versions with a version message', () => {
    const newer = parseTraceFile(
      JSON.stringify({ format: 'ttc-lab-trace', version: 7, events: [] }),
    );
    expect(newer).toEqual({
      ok: false,
      error: `This trace uses a newer format (version 7); this version of ttc-lab reads trace version ${TRACE_VERSION} only.`,
    });
    const older = parseTraceFile(
      JSON.stringify({ format: 'ttc-lab-trace', version: 0, events: [] }),
    );
    expect(older.ok).toBe(false);
    if (!older.ok) expect(older.error).toContain('an older format (version 0)');
    const none = parseTraceFile(JSON.stringify({ format: 'ttc-lab-trace', events: [] }));
    expect(none).toEqual({ ok: false, error: 'This ttc-lab trace has no valid "version" number.' });
  });

  it('lists the first few content problems in one message', () => {
    const events = JSON.parse(serializeTrace(exampleBeamTrace())) as {
      events: Record<string, unknown>[];
    };
    for (const e of events.events) if (e.type === 'scored') e.score = 2;
    const r = parseTraceFile(JSON.stringify(events));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.error.split('\n');
    expect(lines[0]).toBe('This trace is not valid (8 problems):');
    expect(lines[1]).toBe('  events[13].score: expected a number in [0,1], got 2');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('  ... and 3 more');
  });
});
