import { describe, it, expect } from 'vitest';
import { Rng } from '../random';
import type { Costs } from '../types';
import type { PoolSample } from './pool';
import {
  interleave,
  POOL_SETTING_ID,
  recordKey,
  runSweep,
  sweepShareOf,
  sweepTimeLeftS,
  timeLeftText,
  type SearchOutcome,
  type SearchSetting,
  type SweepBackend,
  type SweepEvent,
  type SweepOptions,
  type SweepRecord,
  type SweepSetting,
} from './runner';

interface FakeProblem {
  id: string;
  /** Probability that one sample is right. */
  p: number;
}

function cost(tokens: number): Costs {
  return {
    generations: 1,
    generatedTokens: tokens,
    promptTokens: 5,
    verifierTokens: tokens,
    flops: 10 * tokens,
  };
}

/** A deterministic stand-in for the model: everything follows from the seeds it is given. */
class FakeBackend implements SweepBackend<FakeProblem, { skill: number }> {
  poolCalls: string[] = [];
  searchCalls: string[] = [];
  workWeight?: (problem: FakeProblem) => number;
  async samplePool(
    problem: FakeProblem,
    nMax: number,
    seed: number,
    _signal?: AbortSignal,
  ): Promise<PoolSample[]> {
    await Promise.resolve();
    this.poolCalls.push(problem.id);
    const rng = new Rng(seed);
    return Array.from({ length: nMax }, () => {
      const correct = rng.next() < problem.p;
      return {
        answer: correct ? '42' : String(rng.int(0, 3)),
        score: correct ? 0.6 + 0.4 * rng.next() : 0.5 * rng.next(),
        correct,
        costs: cost(rng.int(5, 15)),
      };
    });
  }
  async runSearch(
    problem: FakeProblem,
    setting: SearchSetting<{ skill: number }>,
    budget: number,
    seed: number,
  ): Promise<SearchOutcome> {
    await Promise.resolve();
    this.searchCalls.push(`${problem.id}/${setting.id}/${budget}`);
    const rng = new Rng(seed);
    const correct = rng.next() < 1 - (1 - problem.p) ** (budget * setting.config.skill);
    return {
      answer: correct ? '42' : '0',
      correct,
      costs: { ...cost(budget * 10), generations: budget },
    };
  }
}

const problems: FakeProblem[] = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  p: (i + 0.5) / 6,
}));
const settings: SweepSetting<{ skill: number }>[] = [
  { kind: 'pool', id: 'bon-weighted', label: 'Best-of-N weighted', selection: 'weighted' },
  { kind: 'pool', id: 'majority', label: 'Majority', selection: 'majority' },
  { kind: 'search', id: 'beam-m4', label: 'Beam M=4', config: { skill: 2 }, minBudget: 4 },
  { kind: 'search', id: 'revisions', label: 'Revisions', config: { skill: 1.5 } },
];
const budgets = [1, 2, 4, 8];

function options(
  backend: FakeBackend,
  extra: Partial<SweepOptions<FakeProblem, { skill: number }>> = {},
): SweepOptions<FakeProblem, { skill: number }> {
  return { problems, budgets, settings, backend, seed: 11, resamples: 50, ...extra };
}

async function collect(gen: AsyncGenerator<SweepEvent, void>): Promise<SweepEvent[]> {
  const events: SweepEvent[] = [];
  for await (const e of gen) events.push(e);
  return events;
}

const recordsOf = (events: SweepEvent[]) =>
  events.flatMap((e) => (e.type === 'record' ? [e.record] : []));
const byKey = (records: SweepRecord[]) => new Map(records.map((r) => [recordKey(r), r]));

describe('runSweep', () => {
  it('samples one pool per problem and runs search settings once per budget', async () => {
    const backend = new FakeBackend();
    const events = await collect(runSweep(options(backend)));
    const records = recordsOf(events);
    // beam-m4 runs at 4 and 8 only; revisions at all four budgets.
    const searchUnits = 2 + 4;
    expect(backend.poolCalls).toEqual(problems.map((p) => p.id));
    expect(backend.searchCalls).toHaveLength(problems.length * searchUnits);
    expect(
      backend.searchCalls.filter((c) => c.includes('beam-m4/1') || c.includes('beam-m4/2')),
    ).toEqual([]);
    expect(records.filter((r) => r.kind === 'pool')).toHaveLength(6);
    expect(records.filter((r) => r.kind === 'result' && r.source === 'pool')).toHaveLength(
      6 * 2 * 4,
    );
    expect(records.filter((r) => r.kind === 'result' && r.source === 'search')).toHaveLength(
      6 * searchUnits,
    );
    const pool = records.find((r) => r.kind === 'pool');
    expect(pool?.kind === 'pool' && pool.samples.length).toBe(8);
    expect(recordKey(pool as SweepRecord)).toBe(`q0\u0000${POOL_SETTING_ID}\u00008`);
    // Progress runs from 0 to total, and the last event says it is complete.
    const total = 6 * (1 + searchUnits);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress[0]).toMatchObject({
      done: 0,
      total,
      current: { problemId: 'q0', settingId: POOL_SETTING_ID },
    });
    // No workWeight: the pool counts its N_max = 8 generations, beam 4 + 8, revisions 1+2+4+8.
    const work = 6 * (8 + 12 + 15);
    expect(events[events.length - 1]).toEqual({
      type: 'done',
      done: total,
      total,
      work: { done: work, total: work, resumed: 0 },
      aborted: false,
    });
    // Keys are unique.
    expect(byKey(records).size).toBe(records.length);
    // Pool-derived costs: budget x the mean sample cost.
    for (const r of records) {
      if (r.kind === 'result') expect(r.costs.generations).toBeCloseTo(r.budget, 9);
    }
  });

  it('is deterministic in its seed', async () => {
    const a = recordsOf(await collect(runSweep(options(new FakeBackend()))));
    const b = recordsOf(await collect(runSweep(options(new FakeBackend()))));
    const c = recordsOf(await collect(runSweep(options(new FakeBackend(), { seed: 12 }))));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('resumes from completed records without redoing them, giving the same records', async () => {
    const full = recordsOf(await collect(runSweep(options(new FakeBackend()))));
    for (const stopAfter of [1, 5, 17, 40, 70]) {
      const controller = new AbortController();
      const first = new FakeBackend();
      const partial: SweepRecord[] = [];
      let last: SweepEvent | undefined;
      for await (const e of runSweep(options(first, { signal: controller.signal }))) {
        last = e;
        if (e.type === 'record') {
          partial.push(e.record);
          if (partial.length === stopAfter) controller.abort();
        }
      }
      expect(last).toMatchObject({ type: 'done', aborted: true });
      const second = new FakeBackend();
      const rest = recordsOf(await collect(runSweep(options(second, { completed: partial }))));
      // Nothing is done twice.
      const partialKeys = new Set(partial.map(recordKey));
      expect(rest.some((r) => partialKeys.has(recordKey(r)))).toBe(false);
      const partialPools = partial.filter((r) => r.kind === 'pool').map((r) => r.problemId);
      expect(second.poolCalls.filter((id) => partialPools.includes(id))).toEqual([]);
      expect(first.searchCalls.length + second.searchCalls.length).toBe(6 * 6);
      // Together they are exactly the uninterrupted sweep.
      expect(byKey([...partial, ...rest])).toEqual(byKey(full));
    }
  });

  it('weighs progress by generations and the backend work weight, and tells resumed work apart', async () => {
    const backend = new FakeBackend();
    // Problem qi costs i + 1 per generation.
    backend.workWeight = (p: FakeProblem) => Number(p.id.slice(1)) + 1;
    const perProblem = 8 + 12 + 15;
    const total = perProblem * (1 + 2 + 3 + 4 + 5 + 6);
    const events = await collect(runSweep(options(backend)));
    const works = events.flatMap((e) => (e.type === 'record' ? [] : [e.work]));
    expect(works[0]).toEqual({ done: 0, total, resumed: 0 });
    // Never decreasing; the first search unit of q1 starts after q0 and q1's pools.
    for (let i = 1; i < works.length; i++)
      expect(works[i]!.done).toBeGreaterThanOrEqual(works[i - 1]!.done);
    const firstQ1Search = events.find(
      (e) =>
        e.type === 'progress' &&
        e.current?.problemId === 'q1' &&
        e.current.settingId !== POOL_SETTING_ID,
    );
    expect(firstQ1Search).toMatchObject({ work: { done: perProblem * 1 + 2 * 8 } });
    expect(works[works.length - 1]).toEqual({ done: total, total, resumed: 0 });

    // Resumed after q0 and q1 were done: their work counts as done and as resumed.
    const firstTwo = recordsOf(events).filter((r) => r.problemId === 'q0' || r.problemId === 'q1');
    const again = new FakeBackend();
    again.workWeight = backend.workWeight;
    const resumed = await collect(runSweep(options(again, { completed: firstTwo })));
    const last = resumed[resumed.length - 1]!;
    expect(last.type === 'done' && last.work).toEqual({
      done: total,
      total,
      resumed: perProblem * 3,
    });
  });

  it('estimates the time left from the work done here', () => {
    expect(sweepTimeLeftS({ done: 100, total: 1000, resumed: 0 }, 60)).toBeCloseTo(540, 9);
    expect(sweepTimeLeftS({ done: 500, total: 1000, resumed: 400 }, 60)).toBeCloseTo(300, 9);
    expect(sweepTimeLeftS({ done: 400, total: 1000, resumed: 400 }, 60)).toBeNull();
    expect(sweepTimeLeftS({ done: 1000, total: 1000, resumed: 0 }, 60)).toBeNull();
    expect(timeLeftText(540)).toBe('about 9 min left');
    expect(timeLeftText(5)).toBe('about 1 min left');
    expect(timeLeftText(null)).toBe('');
  });

  it('interleaves groups round-robin, uneven ones included', () => {
    expect(interleave([['a1', 'a2', 'a3'], ['b1'], [], ['c1', 'c2']])).toEqual([
      'a1',
      'b1',
      'c1',
      'a2',
      'c2',
      'a3',
    ]);
    expect(interleave([])).toEqual([]);
  });

  it('does not reuse a stored pool of another size', async () => {
    const small = recordsOf(
      await collect(runSweep(options(new FakeBackend(), { budgets: [1, 2, 4] }))),
    );
    const backend = new FakeBackend();
    const records = recordsOf(await collect(runSweep(options(backend, { completed: small }))));
    expect(backend.poolCalls).toHaveLength(6);
    // Pool-derived results are recomputed from the new pool; search results at shared budgets are kept.
    expect(records.filter((r) => r.kind === 'result' && r.source === 'pool')).toHaveLength(
      6 * 2 * 4,
    );
    expect(backend.searchCalls.every((c) => c.endsWith('/8'))).toBe(true);
  });

  it('stops promptly on abort, even when the backend ignores the signal', async () => {
    const controller = new AbortController();
    const backend = new FakeBackend();
    let started = 0;
    backend.runSearch = () => {
      started++;
      setTimeout(() => controller.abort(), 5);
      return new Promise<SearchOutcome>(() => {}); // never settles
    };
    const t0 = Date.now();
    const events = await collect(runSweep(options(backend, { signal: controller.signal })));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(started).toBe(1);
    // The first problem's pool finished and was yielded; the hanging search was not.
    expect(recordsOf(events).filter((r) => r.kind === 'pool')).toHaveLength(1);
    expect(recordsOf(events).some((r) => r.kind === 'result' && r.source === 'search')).toBe(false);
    expect(events[events.length - 1]).toMatchObject({ type: 'done', aborted: true, done: 1 });
  });

  it('passes the signal to the backend and treats its abort error as a stop', async () => {
    const controller = new AbortController();
    const backend = new FakeBackend();
    let seen: AbortSignal | null = null;
    backend.samplePool = (_p: FakeProblem, _n: number, _s: number, signal?: AbortSignal) => {
      if (!signal) throw new Error('no signal');
      seen = signal;
      return new Promise<PoolSample[]>((_, reject) => {
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        controller.abort();
      });
    };
    const events = await collect(runSweep(options(backend, { signal: controller.signal })));
    expect(seen).not.toBeNull();
    expect(events[events.length - 1]).toMatchObject({ type: 'done', aborted: true, done: 0 });
  });

  it('propagates backend errors that are not cancellations, and checks its options', async () => {
    const backend = new FakeBackend();
    backend.runSearch = () => Promise.reject(new Error('server down'));
    await expect(collect(runSweep(options(backend)))).rejects.toThrow('server down');
    const short = new FakeBackend();
    short.samplePool = () => Promise.resolve([]);
    await expect(collect(runSweep(options(short)))).rejects.toThrow(/has 0 samples, expected 8/);
    await expect(
      collect(runSweep(options(new FakeBackend(), { budgets: [4, 2] }))),
    ).rejects.toThrow(/ascending/);
    await expect(
      collect(runSweep(options(new FakeBackend(), { settings: [settings[0]!, settings[0]!] }))),
    ).rejects.toThrow(/repeated setting id/);
  });
});

describe('sweepShareOf', () => {
  it("splits a plan round robin: every problem in exactly one worker's share, in plan order", () => {
    const plan = [0, 1, 2, 3, 4, 5, 6];
    const shares = [0, 1, 2].map((i) => sweepShareOf(plan, i, 3));
    expect(shares).toEqual([
      [0, 3, 6],
      [1, 4],
      [2, 5],
    ]);
    expect(sweepShareOf(plan, 0, 1)).toEqual(plan);
  });
});
