import { describe, expect, it } from 'vitest';
import {
  ScriptedModel,
  noisyArithSolver,
  noisyOracleScores,
  scriptedVerifier,
} from '../../engine/testing';
import { replayTrace } from '../../engine/trace/reducer';
import type { TraceEvent } from '../../engine/trace/events';
import type { SweepRecord } from '../../engine/sweep/runner';
import { arithTask, makeArithProblem } from '../../tasks/arith';
import { defaultSettings, strategyConfigFor } from '../../store/settings';
import type { SweepRequest } from '../../store/sweepTypes';
import { createWorkerHandler } from './handler';
import type { LoadedModels } from './models';
import type { FromWorker, RunRequest } from './protocol';

function scriptedModels(onGenerate?: () => void): LoadedModels {
  return {
    generator: new ScriptedModel({
      script: noisyArithSolver({ stepErrorRate: 0.3 }),
      ...(onGenerate ? { onGenerate } : {}),
    }),
    prm: scriptedVerifier({ score: noisyOracleScores(arithTask, { noise: 0.2, seed: 1 }) }),
    backend: 'cpu',
    notice: 'WebGPU is not available here; TinyMath runs on the CPU.',
    dispose() {},
  };
}

function setup(load: () => Promise<LoadedModels> = async () => scriptedModels()) {
  const messages: FromWorker[] = [];
  const handler = createWorkerHandler({
    post: (m) => messages.push(m),
    loadModels: async (_url, _backend, onProgress) => {
      onProgress(0.5, 'tinymath-gen/model.safetensors');
      return load();
    },
    connectWebLLM: () => {
      throw new Error('no WebLLM in this test');
    },
    flushIntervalMs: 1,
  });
  return { messages, handler };
}

const DATA = 'http://localhost/';

function runRequest(strategy: RunRequest['config']['kind'], seed = 3): RunRequest {
  const problem = makeArithProblem(2, 11);
  const settings = {
    ...defaultSettings(),
    level: 2,
    problemId: problem.id,
    strategy,
    n: 4,
    beamWidth: 2,
  };
  return { taskId: 'arith', problem, config: strategyConfigFor(settings), verifier: 'prm', seed };
}

const eventsOf = (messages: FromWorker[], runId: string): TraceEvent[] =>
  messages.flatMap((m) => (m.type === 'run-events' && m.runId === runId ? m.events : []));

describe('worker handler: runs', () => {
  it('loads the models once, streams a whole trace in order and ends the run', async () => {
    const { messages, handler } = setup();
    handler.handle({
      type: 'load-models',
      baseUrl: 'http://x/models/',
      backend: 'auto',
      dataBaseUrl: DATA,
    });
    handler.handle({ type: 'start-run', runId: 'r1', request: runRequest('beam') });
    await handler.idle();
    expect(messages.find((m) => m.type === 'models-progress')).toMatchObject({ fraction: 0.5 });
    expect(messages.find((m) => m.type === 'models-ready')).toMatchObject({ backend: 'cpu' });
    const events = eventsOf(messages, 'r1');
    expect(events[0]?.type).toBe('run_started');
    expect(events.at(-1)?.type).toBe('run_finished');
    // The streamed events replay without error: nothing lost or reordered on the way.
    const state = replayTrace(events);
    expect(state.finished?.status).toBe('completed');
    const ended = messages.filter((m) => m.type === 'run-ended');
    expect(ended).toEqual([{ type: 'run-ended', runId: 'r1', status: 'completed' }]);
    // run-ended comes after the last batch of events.
    const lastEvents = messages.map((m) => m.type).lastIndexOf('run-events');
    expect(messages.findIndex((m) => m.type === 'run-ended')).toBeGreaterThan(lastEvents);
  });

  it('gives the same trace for the same request (share links reproduce runs)', async () => {
    const a = setup();
    const b = setup();
    for (const { handler } of [a, b]) {
      handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
      handler.handle({ type: 'start-run', runId: 'r', request: runRequest('best-of-n', 9) });
      await handler.idle();
    }
    expect(eventsOf(a.messages, 'r')).toEqual(eventsOf(b.messages, 'r'));
  });

  it('a new run cancels the one in progress, which still ends with a valid trace', async () => {
    let calls = 0;
    const { messages, handler } = setup(async () =>
      scriptedModels(() => {
        calls++;
        if (calls === 2)
          handler.handle({ type: 'start-run', runId: 'r2', request: runRequest('best-of-n') });
      }),
    );
    handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
    handler.handle({ type: 'start-run', runId: 'r1', request: runRequest('beam') });
    await handler.idle();
    const ended = messages.filter((m) => m.type === 'run-ended');
    expect(ended).toContainEqual({ type: 'run-ended', runId: 'r1', status: 'cancelled' });
    expect(ended).toContainEqual({ type: 'run-ended', runId: 'r2', status: 'completed' });
    const first = replayTrace(eventsOf(messages, 'r1'));
    expect(first.finished?.status).toBe('cancelled');
  });

  it('reports a model that fails to load as a string, and runs end with that error', async () => {
    const { messages, handler } = setup(async () => {
      throw new Error('tinymath-gen/config.json: 404');
    });
    handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
    handler.handle({ type: 'start-run', runId: 'r1', request: runRequest('beam') });
    await handler.idle();
    expect(messages).toContainEqual({
      type: 'models-failed',
      error: 'tinymath-gen/config.json: 404',
    });
    const ended = messages.find((m) => m.type === 'run-ended');
    expect(ended).toMatchObject({ status: 'error' });
    expect(ended?.type === 'run-ended' && ended.error).toContain('404');
  });

  it('uses the oracle checker or no verifier when asked', async () => {
    const { messages, handler } = setup();
    handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
    handler.handle({
      type: 'start-run',
      runId: 'o',
      request: { ...runRequest('beam'), verifier: 'oracle' },
    });
    await handler.idle();
    handler.handle({
      type: 'start-run',
      runId: 'n',
      request: { ...runRequest('best-of-n'), verifier: 'none' },
    });
    await handler.idle();
    const started = (id: string) => eventsOf(messages, id)[0];
    const o = started('o');
    const n = started('n');
    expect(o?.type === 'run_started' && o.verifier?.kind).toBe('oracle');
    expect(n?.type === 'run_started' && n.verifier).toBeNull();
  });
});

describe('worker handler: sweeps', () => {
  const request: SweepRequest = {
    taskId: 'arith',
    levels: [1],
    problemsPerLevel: 2,
    problemSeed: 5,
    nMax: 4,
    strategies: ['best-of-n', 'beam'],
    verifier: 'prm',
    seed: 1,
  };
  const records = (messages: FromWorker[]) =>
    messages.flatMap((m) => (m.type === 'sweep-record' ? [m.record] : []));

  it('runs a sweep to the end with progress, and a resumed sweep redoes nothing', async () => {
    const { messages, handler } = setup();
    handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
    handler.handle({ type: 'start-sweep', sweepId: 's1', request, completed: [] });
    await handler.idle();
    const all = records(messages);
    // 2 problems x (1 pool + 2 pool settings x 3 budgets + beam at budget 4).
    expect(all.filter((r) => r.kind === 'pool')).toHaveLength(2);
    expect(all.filter((r) => r.kind === 'result' && r.source === 'search')).toHaveLength(2);
    expect(messages.some((m) => m.type === 'sweep-progress')).toBe(true);
    expect(messages.at(-1)).toEqual({ type: 'sweep-ended', sweepId: 's1', status: 'completed' });

    messages.length = 0;
    handler.handle({ type: 'start-sweep', sweepId: 's2', request, completed: all });
    await handler.idle();
    expect(records(messages)).toEqual([]);
    expect(messages.at(-1)).toEqual({ type: 'sweep-ended', sweepId: 's2', status: 'completed' });
  });

  it('cancels a sweep; the records so far are kept and resuming finishes it', async () => {
    let calls = 0;
    const { messages, handler } = setup(async () =>
      scriptedModels(() => {
        calls++;
        if (calls === 3) handler.handle({ type: 'cancel-sweep', sweepId: 's1' });
      }),
    );
    handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'auto', dataBaseUrl: DATA });
    handler.handle({ type: 'start-sweep', sweepId: 's1', request, completed: [] });
    await handler.idle();
    expect(messages.at(-1)).toEqual({ type: 'sweep-ended', sweepId: 's1', status: 'cancelled' });
    const partial: SweepRecord[] = records(messages);
    messages.length = 0;
    handler.handle({ type: 'start-sweep', sweepId: 's2', request, completed: partial });
    await handler.idle();
    const rest = records(messages);
    expect(messages.at(-1)).toMatchObject({ status: 'completed' });
    // Together they cover every unit exactly once.
    const keys = [...partial, ...rest].map((r) =>
      r.kind === 'pool' ? `${r.problemId}/pool` : `${r.problemId}/${r.settingId}/${r.budget}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(2 * (1 + 2 * 3 + 1));
  });
});
