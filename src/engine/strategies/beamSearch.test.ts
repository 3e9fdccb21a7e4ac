import { describe, it, expect } from 'vitest';
import { runToCompletion } from '../run';
import { arithHarness, configs, ScriptedModel, scriptedVerifier, traceProblems } from '../testing';
import type { TraceEvent } from '../trace/events';
import { spreadProposals, topK } from './beamSearch';
import { hashString } from './common';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T) =>
  events.filter((e): e is Ev<T> => e.type === type);

/** Per round: candidates created, which of them finished, kept and pruned ids. */
function rounds(events: readonly TraceEvent[]) {
  // Beams cut off by maxRounds were kept in their round; they finish only after the search.
  const finished = new Set(
    of(events, 'finished')
      .filter((f) => f.reason !== 'max_rounds')
      .map((f) => f.id),
  );
  const byRound = new Map<
    number,
    { created: Ev<'node_created'>[]; kept: string[]; pruned: string[] }
  >();
  const get = (r: number) => {
    let x = byRound.get(r);
    if (!x) byRound.set(r, (x = { created: [], kept: [], pruned: [] }));
    return x;
  };
  for (const e of events) {
    if (e.type === 'node_created' && e.round !== undefined) get(e.round).created.push(e);
    if (e.type === 'kept') get(e.round).kept.push(...e.ids);
    if (e.type === 'pruned') get(e.round).pruned.push(...e.ids);
  }
  return { byRound, finished };
}

describe('helpers', () => {
  it('spreadProposals gives M per beam, or spreads N round-robin over fewer beams', () => {
    expect(spreadProposals(16, 4)).toEqual([4, 4, 4, 4]);
    expect(spreadProposals(8, 3)).toEqual([3, 3, 2]);
    expect(spreadProposals(8, 1)).toEqual([8]);
    expect(spreadProposals(4, 0)).toEqual([]);
    for (let n = 1; n < 20; n++)
      for (let b = 1; b <= n; b++) expect(spreadProposals(n, b).reduce((x, y) => x + y)).toBe(n);
  });
  it('topK keeps the k best, earlier first on ties, in candidate order', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9], 2)).toEqual([1, 3]);
    expect(topK([0.5, 0.5, 0.5], 2)).toEqual([0, 1]);
    expect(topK([0.3, 0.2], 5)).toEqual([0, 1]);
  });
});

describe('beamSearch', () => {
  const cases = [
    { n: 8, m: 4 },
    { n: 16, m: 4 },
    { n: 16, m: 2 },
    { n: 8, m: 8 },
    { n: 4, m: 1 },
  ];

  it.each(cases)(
    'N=$n M=$m: keeps exactly min(N/M, unfinished) each round, N candidates a round',
    async ({ n, m }) => {
      for (const seed of [1, 2, 3]) {
        const { ctx, model } = arithHarness({
          config: configs.beam(n, m),
          seed,
          level: 4,
          stepErrorRate: 0.3,
        });
        const r = await runToCompletion(ctx);
        expect(r.status).toBe('completed');
        expect(traceProblems(r.events)).toEqual([]);
        const { byRound, finished } = rounds(r.events);
        const score = new Map(of(r.events, 'scored').map((s) => [s.id, s.score]));
        let prevKept: string[] = ['root'];
        for (const [round, x] of [...byRound.entries()].sort((a, b) => a[0] - b[0])) {
          expect(x.created).toHaveLength(n);
          // Proposals hang off last round's kept beams, spread as evenly as the reference does.
          const perParent = new Map<string, number>();
          for (const c of x.created)
            perParent.set(c.parent ?? '', (perParent.get(c.parent ?? '') ?? 0) + 1);
          expect([...perParent.keys()].sort()).toEqual(prevKept.slice().sort());
          expect([...perParent.values()].sort((a, b) => b - a)).toEqual(
            spreadProposals(n, prevKept.length),
          );
          const open = x.created.filter((c) => !finished.has(c.id)).map((c) => c.id);
          expect(x.kept).toHaveLength(Math.min(n / m, open.length));
          expect([...x.kept, ...x.pruned].sort()).toEqual(open.slice().sort());
          // The kept are the best-scored.
          const worstKept = Math.min(...x.kept.map((id) => score.get(id) ?? NaN));
          for (const id of x.pruned) expect(score.get(id)).toBeLessThanOrEqual(worstKept);
          prevKept = x.kept;
          expect(round).toBeLessThan(40);
        }
        // The search ends because no beam is active.
        expect(prevKept).toHaveLength(0);
        // One step per call, the task's delimiter as the only stop.
        expect(model.requests.every((q) => q.stop?.length === 1 && q.stop[0] === '\n')).toBe(true);
        expect(r.costs.generations).toBe(n);
      }
    },
  );

  it('when fewer than N/M beams stay active, spreads the N proposals over them', async () => {
    // Steps that finish early at random, so the active set shrinks below N/M.
    const model = new ScriptedModel({
      script: (_p, rng) => (rng.next() < 0.6 ? `A:${rng.int(1, 3)}\n` : `s${rng.int(0, 9)}\n`),
    });
    const verifier = scriptedVerifier({
      score: (_problem, steps) =>
        steps.map((_, i) => (hashString(steps.slice(0, i + 1).join()) % 1000) / 1000),
    });
    let spreadRounds = 0;
    for (const seed of [1, 2, 3, 4]) {
      const { ctx } = arithHarness({ config: configs.beam(8, 2, 12), seed });
      const r = await runToCompletion({ ...ctx, model, verifier });
      expect(r.status).toBe('completed');
      expect(traceProblems(r.events)).toEqual([]);
      const { byRound, finished } = rounds(r.events);
      let prevKept = ['root'];
      for (const [, x] of [...byRound.entries()].sort((a, b) => a[0] - b[0])) {
        expect(x.created).toHaveLength(8);
        const perParent = new Map<string, number>();
        for (const c of x.created)
          perParent.set(c.parent ?? '', (perParent.get(c.parent ?? '') ?? 0) + 1);
        expect([...perParent.values()].sort((a, b) => b - a)).toEqual(
          spreadProposals(8, prevKept.length),
        );
        if (prevKept.length < 4 && prevKept[0] !== 'root') spreadRounds++;
        const open = x.created.filter((c) => !finished.has(c.id));
        expect(x.kept).toHaveLength(Math.min(4, open.length));
        prevKept = x.kept;
      }
    }
    expect(spreadRounds).toBeGreaterThan(0);
  });

  it('selects best-of-N weighted over the finished beams', async () => {
    for (const seed of [4, 5, 6]) {
      const { ctx } = arithHarness({
        config: configs.beam(16, 4),
        seed,
        level: 4,
        stepErrorRate: 0.3,
      });
      const r = await runToCompletion(ctx);
      const score = new Map(of(r.events, 'scored').map((s) => [s.id, s.score]));
      const sums = new Map<string, number>();
      for (const f of of(r.events, 'finished')) {
        if (f.answer !== null)
          sums.set(f.answer, (sums.get(f.answer) ?? 0) + (score.get(f.id) ?? 0));
      }
      const sel = of(r.events, 'selected')[0];
      expect(sel?.method).toBe('weighted');
      expect(sums.get(sel?.answer ?? '')).toBe(Math.max(...sums.values()));
      expect(sel?.votes.reduce((k, v) => k + v.count, 0)).toBe(of(r.events, 'finished').length);
    }
  });

  it('stops after maxRounds; unfinished beams end with max_rounds and no answer', async () => {
    const { ctx } = arithHarness({ config: configs.beam(8, 4, 2), level: 5, stepErrorRate: 0 });
    const r = await runToCompletion(ctx);
    const rs = rounds(r.events).byRound;
    expect([...rs.keys()]).toEqual([0, 1]);
    const fin = of(r.events, 'finished');
    expect(fin).toHaveLength(2);
    expect(fin.every((f) => f.reason === 'max_rounds' && f.answer === null)).toBe(true);
    expect(r.answer).toBeNull();
    expect(traceProblems(r.events)).toEqual([]);
  });

  it('with an exact verifier and some mistakes, beam search finds the right answer', async () => {
    let right = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { ctx } = arithHarness({
        config: configs.beam(8, 4),
        seed,
        level: 4,
        stepErrorRate: 0.3,
        verifier: 'oracle',
      });
      const r = await runToCompletion(ctx);
      if (r.correct) right++;
      // Final-answer steps are kind 'answer', the rest 'step'.
      const kinds = new Set(of(r.events, 'node_created').map((e) => e.kind));
      expect([...kinds].sort()).toEqual(['answer', 'root', 'step']);
    }
    expect(right).toBe(6);
  });

  it('one round has one model call per maxBatch chunk, and one verifier call', async () => {
    const { ctx, model } = arithHarness({
      config: configs.beam(8, 2),
      capabilities: { maxBatch: 3 },
    });
    const r = await runToCompletion(ctx);
    const nRounds = rounds(r.events).byRound.size;
    expect(model.requests).toHaveLength(nRounds * 3);
    expect(of(r.events, 'cost').filter((c) => c.delta.verifierTokens > 0)).toHaveLength(nRounds);
  });
});
