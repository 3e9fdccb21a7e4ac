import { describe, it, expect } from 'vitest';
import { runToCompletion } from '../run';
import { arithHarness, configs, traceProblems } from '../testing';
import type { TraceEvent } from '../trace/events';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T) =>
  events.filter((e): e is Ev<T> => e.type === type);

describe('dvts', () => {
  it.each([
    { n: 8, m: 4 },
    { n: 16, m: 4 },
    { n: 16, m: 2 },
    { n: 4, m: 4 },
  ])(
    'N=$n M=$m: N/M independent subtrees, each expanding its best child M ways',
    async ({ n, m }) => {
      for (const seed of [1, 2]) {
        const { ctx } = arithHarness({
          config: configs.dvts(n, m),
          seed,
          level: 4,
          stepErrorRate: 0.3,
        });
        const r = await runToCompletion(ctx);
        expect(r.status).toBe('completed');
        expect(traceProblems(r.events)).toEqual([]);
        expect(r.costs.generations).toBe(n);
        const created = of(r.events, 'node_created').filter((c) => c.kind !== 'root');
        const subtrees = n / m;
        expect(new Set(created.map((c) => c.lane))).toEqual(
          new Set(Array.from({ length: subtrees }, (_, i) => i)),
        );
        // Round 0: N first steps, M per subtree, all under the root.
        const r0 = created.filter((c) => c.round === 0);
        expect(r0).toHaveLength(n);
        expect(r0.every((c) => c.parent === 'root')).toBe(true);
        for (let lane = 0; lane < subtrees; lane++)
          expect(r0.filter((c) => c.lane === lane)).toHaveLength(m);

        const score = new Map(of(r.events, 'scored').map((s) => [s.id, s.score]));
        const laneOf = new Map(created.map((c) => [c.id, c.lane]));
        const keptBy = new Map<number, Map<number, string>>(); // round -> lane -> kept id
        for (const k of of(r.events, 'kept')) {
          const perLane = new Map<number, string>();
          for (const id of k.ids) {
            const lane = laneOf.get(id) ?? -1;
            expect(perLane.has(lane)).toBe(false); // one kept child per subtree
            perLane.set(lane, id);
          }
          keptBy.set(k.round, perLane);
        }
        for (const c of created) {
          const round = c.round ?? 0;
          const siblings = created.filter((d) => d.round === round && d.lane === c.lane);
          expect(siblings).toHaveLength(m);
          expect(siblings.every((d) => d.parent === c.parent)).toBe(true);
          if (round > 0) expect(c.parent).toBe(keptBy.get(round - 1)?.get(c.lane ?? -1));
          const kept = keptBy.get(round)?.get(c.lane ?? -1);
          expect(kept).toBeDefined();
          // The kept child is the subtree's best-scored one.
          expect(score.get(kept ?? '')).toBe(
            Math.max(...siblings.map((d) => score.get(d.id) ?? -1)),
          );
        }
        // One result per subtree, and the vote is over them.
        const finished = of(r.events, 'finished');
        expect(new Set(finished.map((f) => laneOf.get(f.id))).size).toBe(subtrees);
        expect(finished).toHaveLength(subtrees);
        const sel = of(r.events, 'selected')[0];
        expect(sel?.method).toBe('weighted');
        expect(sel?.votes.reduce((k, v) => k + v.count, 0)).toBe(subtrees);
        const sums = new Map<string, number>();
        for (const f of finished)
          if (f.answer) sums.set(f.answer, (sums.get(f.answer) ?? 0) + (score.get(f.id) ?? 0));
        if (sums.size > 0) expect(sums.get(sel?.answer ?? '')).toBe(Math.max(...sums.values()));
      }
    },
  );

  it('subtrees that hit maxRounds finish with reason max_rounds', async () => {
    const { ctx } = arithHarness({ config: configs.dvts(8, 2, 3), level: 5 });
    const r = await runToCompletion(ctx);
    const finished = of(r.events, 'finished');
    expect(finished).toHaveLength(4);
    expect(finished.every((f) => f.reason === 'max_rounds')).toBe(true);
    expect(Math.max(...of(r.events, 'node_created').map((c) => c.round ?? 0))).toBe(2);
    expect(traceProblems(r.events)).toEqual([]);
  });
});
