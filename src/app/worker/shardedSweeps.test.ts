import { describe, expect, it } from 'vitest';
import type { SweepRecord, SweepRequest } from '../../store/sweepTypes';
import type { EngineChannel } from './client';
import type { FromWorker, ToWorker } from './protocol';
import { shardedSweeps, sweepWorkerBudget, sweepWorkers } from './shardedSweeps';

/** A channel whose posts are recorded and whose messages the test sends. */
class FakeChannel implements EngineChannel {
  readonly posted: ToWorker[] = [];
  readonly listeners = new Set<(m: FromWorker) => void>();
  terminated = false;
  post(message: ToWorker): void {
    this.posted.push(message);
  }
  subscribe(listener: (m: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  terminate(): void {
    this.terminated = true;
  }
  send(message: FromWorker): void {
    this.listeners.forEach((l) => l(message));
  }
}

const request: SweepRequest = {
  taskId: 'arith',
  levels: [1, 2, 3],
  problemsPerLevel: 2,
  problemSeed: 1,
  nMax: 4,
  strategies: ['best-of-n'],
  verifier: 'prm',
  seed: 1,
};
const load: ToWorker = {
  type: 'load-models',
  baseUrl: 'http://x/models/',
  backend: 'auto',
  dataBaseUrl: 'http://x/',
};
const ready = (backend: 'cpu' | 'webgpu'): FromWorker => ({
  type: 'models-ready',
  backend,
  notice: null,
  generatorLabel: 'g',
  prmLabel: 'p',
});
const record = (problemId: string): SweepRecord =>
  ({ kind: 'pool', problemId, nMax: 4, samples: [] }) as unknown as SweepRecord;
const progress = (done: number, total: number, item: string): FromWorker => ({
  type: 'sweep-progress',
  sweepId: 's1',
  done,
  total,
  message: item,
  item,
  work: { done, total, resumed: 0 },
});
const ended = (status: 'completed' | 'cancelled' | 'error', error?: string): FromWorker => ({
  type: 'sweep-ended',
  sweepId: 's1',
  status,
  ...(error ? { error } : {}),
});

function setup(workers: number, backend: 'cpu' | 'webgpu' = 'cpu') {
  const engine = new FakeChannel();
  const helpers: FakeChannel[] = [];
  let clock = 0;
  const channel = shardedSweeps(engine, {
    workers,
    startHelper: () => {
      const h = new FakeChannel();
      helpers.push(h);
      return h;
    },
    now: () => (clock += 1000),
  });
  const seen: FromWorker[] = [];
  channel.subscribe((m) => seen.push(m));
  channel.post(load);
  engine.send(ready(backend));
  const start: ToWorker = { type: 'start-sweep', sweepId: 's1', request, completed: [] };
  return { engine, helpers, channel, seen, start };
}

describe('shardedSweeps', () => {
  it('sizes a sweep: never more workers than problems, at least one', () => {
    expect(sweepWorkers(4, 6)).toBe(4);
    expect(sweepWorkers(8, 3)).toBe(3);
    expect(sweepWorkers(0, 5)).toBe(1);
    expect(sweepWorkers(2.7, 5)).toBe(2);
    expect([undefined, 0, 1, 2, 3, 4, 8, 32].map((c) => sweepWorkerBudget(c))).toEqual([
      1, 1, 1, 2, 2, 3, 7, 8,
    ]);
    // Where the browser reports the device's memory, the workers fit in a quarter of it.
    expect([8, 4, 2, 1, 0.5].map((gb) => sweepWorkerBudget(16, gb))).toEqual([8, 5, 2, 1, 1]);
    expect(sweepWorkerBudget(2, 0.5)).toBe(1);
    expect(sweepWorkerBudget(4, 8)).toBe(3);
  });

  it('splits a CPU sweep over helpers and merges them into one sweep', () => {
    const { engine, helpers, channel, seen, start } = setup(3);
    expect(seen).toEqual([ready('cpu')]);
    channel.post(start);
    expect(helpers).toHaveLength(2);
    expect(engine.posted.at(-1)).toEqual({ ...start, shard: { index: 0, count: 3 } });
    helpers.forEach((h, i) =>
      expect(h.posted).toEqual([
        { ...load, backend: 'cpu' },
        { ...start, shard: { index: i + 1, count: 3 } },
      ]),
    );
    seen.length = 0;

    // Records pass straight on; progress waits until every shard has counted its units.
    helpers[1]!.send({ type: 'sweep-record', sweepId: 's1', record: record('p2') });
    engine.send(progress(1, 10, 'p0: pool'));
    helpers[0]!.send(progress(0, 12, 'p1: pool'));
    expect(seen).toEqual([{ type: 'sweep-record', sweepId: 's1', record: record('p2') }]);
    helpers[1]!.send(progress(2, 8, 'p2: beam N=4'));
    const merged = seen.at(-1);
    expect(merged).toMatchObject({ type: 'sweep-progress', done: 3, total: 30 });
    expect(merged?.type === 'sweep-progress' && merged.message).toMatch(
      /^p2: beam N=4 · about \d+ min left · 3 workers$/,
    );

    // One 'sweep-ended', once the last shard ends; the helpers are then stopped.
    engine.send(ended('completed'));
    helpers[0]!.send(ended('completed'));
    expect(seen.filter((m) => m.type === 'sweep-ended')).toEqual([]);
    helpers[1]!.send(ended('completed'));
    expect(seen.filter((m) => m.type === 'sweep-ended')).toEqual([ended('completed')]);
    expect(helpers.every((h) => h.terminated)).toBe(true);
    // Later messages of the finished sweep's helpers go nowhere.
    helpers[0]!.send({ type: 'sweep-record', sweepId: 's1', record: record('late') });
    expect(seen.at(-1)).toEqual(ended('completed'));
  });

  it('a failing helper stops the others, and the sweep ends once with its error', () => {
    const { engine, helpers, channel, seen, start } = setup(3);
    channel.post(start);
    helpers[0]!.send({ type: 'models-failed', error: 'quota exceeded' });
    expect(engine.posted.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: 's1' });
    expect(helpers[1]!.posted.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: 's1' });
    engine.send(ended('cancelled'));
    helpers[1]!.send(ended('cancelled'));
    expect(seen.filter((m) => m.type === 'sweep-ended')).toEqual([
      ended('error', 'worker 2 of 3: TinyMath did not load: quota exceeded'),
    ]);
  });

  it('cancelling reaches every worker; the sweep ends cancelled', () => {
    const { engine, helpers, channel, seen, start } = setup(2);
    channel.post(start);
    channel.post({ type: 'cancel-sweep', sweepId: 's1' });
    expect(engine.posted.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: 's1' });
    expect(helpers[0]!.posted.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: 's1' });
    helpers[0]!.send(ended('cancelled'));
    engine.send(ended('completed'));
    expect(seen.at(-1)).toEqual(ended('cancelled'));
  });

  it('a new sweep stops the helpers of the one it replaces', () => {
    const { helpers, channel, start } = setup(2);
    channel.post(start);
    channel.post({ ...start, sweepId: 's2' });
    expect(helpers).toHaveLength(2);
    expect(helpers[0]!.terminated).toBe(true);
    expect(helpers[1]!.terminated).toBe(false);
  });

  it('leaves sweeps whole on WebGPU, on WebLLM and with one worker', () => {
    for (const [workers, backend, webllm] of [
      [4, 'webgpu', false],
      [4, 'cpu', true],
      [1, 'cpu', false],
    ] as const) {
      const { engine, helpers, channel, seen, start } = setup(workers, backend);
      if (webllm) channel.post({ type: 'use-tinymath' });
      if (webllm)
        channel.post({
          type: 'use-webllm',
          info: {} as never,
          port: {} as MessagePort,
        });
      channel.post(start);
      expect(helpers).toHaveLength(0);
      expect(engine.posted.at(-1)).toEqual(start);
      engine.send(progress(1, 4, 'p0: pool'));
      engine.send(ended('completed'));
      expect(seen.slice(-2)).toEqual([progress(1, 4, 'p0: pool'), ended('completed')]);
    }
  });

  it('a sweep asked for before the models are ready (a reload resuming it) waits for them', () => {
    const engine = new FakeChannel();
    const helpers: FakeChannel[] = [];
    const channel = shardedSweeps(engine, {
      workers: 2,
      startHelper: () => {
        const h = new FakeChannel();
        helpers.push(h);
        return h;
      },
    });
    const seen: FromWorker[] = [];
    channel.subscribe((m) => seen.push(m));
    channel.post(load);
    const start: ToWorker = { type: 'start-sweep', sweepId: 's1', request, completed: [] };
    channel.post(start);
    expect(engine.posted).toEqual([load]);
    engine.send(ready('cpu'));
    expect(helpers).toHaveLength(1);
    expect(engine.posted.at(-1)).toEqual({ ...start, shard: { index: 0, count: 2 } });

    // Cancelled while held: it ends at once, and nothing starts when the models come.
    const waiting = new FakeChannel();
    const third = shardedSweeps(waiting, { workers: 2, startHelper: () => new FakeChannel() });
    const thirdSeen: FromWorker[] = [];
    third.subscribe((m) => thirdSeen.push(m));
    third.post(load);
    third.post(start);
    third.post({ type: 'cancel-sweep', sweepId: 's1' });
    expect(thirdSeen).toEqual([{ type: 'sweep-ended', sweepId: 's1', status: 'cancelled' }]);
    waiting.send(ready('cpu'));
    expect(waiting.posted).toEqual([load]);
    // After a failed load the engine gets it whole (and answers with the error).
    const fresh = new FakeChannel();
    const other = shardedSweeps(fresh, { workers: 2, startHelper: () => new FakeChannel() });
    other.post(load);
    other.post(start);
    fresh.send({ type: 'models-failed', error: 'no network' });
    expect(fresh.posted.at(-1)).toEqual(start);
    expect(seen).toEqual([ready('cpu')]);
  });

  it('a GPU that fails over to the CPU makes later sweeps split', () => {
    const { engine, helpers, channel, start } = setup(2, 'webgpu');
    engine.send({ type: 'models-notice', notice: 'WebGPU failed; on the CPU now' });
    channel.post(start);
    expect(helpers).toHaveLength(1);
  });
});
