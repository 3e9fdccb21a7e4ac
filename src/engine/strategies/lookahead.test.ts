import { describe, it, expect } from 'vitest';
import { aggregateStepScores } from '../aggregate';
import { runToCompletion } from '../run';
import { arithHarness, configs, traceProblems } from '../testing';
import { oracleVerifier } from '../verifiers/oracle';
import type { TraceEvent } from '../trace/events';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T) =>
  events.filter((e): e is Ev<T> => e.type === type);

describe('lookaheadSearch', () => {
  it.each([0, 1, 2, 3])(
    'k=%i: counts N x (k+1) generations, and rollout tokens as generated',
    async (k) => {
      const { ctx, model } = arithHarness({
        config: configs.lookahead(8, 2, k),
        level: 4,
        stepErrorRate: 0.3,
      });
      const r = await runToCompletion(ctx);
      expect(r.status).toBe('completed');
      expect(r.costs.generations).toBe(8 * (k + 1));
      // generatedTokens = node text + rollouts, and the rollouts are really there when k > 0.
      expect(traceProblems(r.events)).toEqual([]);
      const rolloutTokens = of(r.events, 'scored').reduce((n, s) => n + (s.rolloutTokens ?? 0), 0);
      const greedyCalls = model.requests.filter((q) => q.temperature === 0);
      if (k === 0) {
        expect(rolloutTokens).toBe(0);
        expect(greedyCalls).toHaveLength(0);
      } else {
        expect(rolloutTokens).toBeGreaterThan(0);
        // Rollout steps are greedy; proposals are sampled.
        expect(greedyCalls.length).toBeGreaterThan(0);
        expect(greedyCalls.every((q) => q.stop?.[0] === '\n')).toBe(true);
        expect(model.requests.some((q) => q.temperature === ctx.config.temperature)).toBe(true);
      }
    },
  );

  it('scores each open candidate by the PRM at the end of a <= k step greedy rollout', async () => {
    const k = 2;
    const { ctx, problem } = arithHarness({
      config: configs.lookahead(8, 2, k),
      level: 4,
      stepErrorRate: 0.3,
      verifier: 'oracle',
    });
    const r = await runToCompletion(ctx);
    const task = ctx.task;
    const text = new Map<string, string>();
    const parent = new Map(of(r.events, 'node_created').map((n) => [n.id, n.parent]));
    for (const t of of(r.events, 'text_appended')) text.set(t.id, t.text);
    const pathText = (id: string): string => {
      let s = '';
      for (let cur: string | null | undefined = id; cur && cur !== 'root'; cur = parent.get(cur))
        s = (text.get(cur) ?? '') + s;
      return s;
    };
    const oracle = oracleVerifier(task);
    const finished = new Set(
      of(r.events, 'finished')
        .filter((f) => f.reason !== 'max_rounds')
        .map((f) => f.id),
    );
    let rolled = 0;
    for (const s of of(r.events, 'scored')) {
      const path = pathText(s.id);
      if (finished.has(s.id)) {
        expect(s.rollout).toBeUndefined();
        continue;
      }
      rolled++;
      expect(s.source).toBe('lookahead');
      const rollout = s.rollout ?? '';
      const rollSteps = task.splitSteps(rollout);
      expect(rollSteps.length).toBeLessThanOrEqual(k);
      expect(rollSteps.length).toBeGreaterThan(0);
      // Early stop: only the last rollout step can be the final answer.
      rollSteps.slice(0, -1).forEach((st) => expect(task.isFinalStep(st)).toBe(false));
      if (rollSteps.length < k)
        expect(task.isFinalStep(rollSteps[rollSteps.length - 1] ?? '')).toBe(true);
      expect(s.rolloutTokens).toBe(rollout.length);
      const [expected] = await oracle.scoreSteps([
        { problem, steps: task.splitSteps(path + rollout) },
      ]);
      expect(s.stepScores).toEqual(expected?.stepScores);
      expect(s.score).toBe(aggregateStepScores(expected?.stepScores ?? [], 'last'));
    }
    expect(rolled).toBeGreaterThan(0);
  });

  it('keeps exactly min(N/M, unfinished) per round, like beam search', async () => {
    const { ctx } = arithHarness({
      config: configs.lookahead(16, 4, 1),
      level: 4,
      stepErrorRate: 0.3,
    });
    const r = await runToCompletion(ctx);
    const finished = new Set(
      of(r.events, 'finished')
        .filter((f) => f.reason !== 'max_rounds')
        .map((f) => f.id),
    );
    const created = of(r.events, 'node_created');
    for (const kept of of(r.events, 'kept')) {
      const open = created.filter((c) => c.round === kept.round && !finished.has(c.id));
      expect(kept.ids).toHaveLength(Math.min(4, open.length));
    }
    expect(of(r.events, 'kept').length).toBeGreaterThan(2);
  });

  it('rollouts are greedy: the same candidate text rolls out the same way under any seed', async () => {
    const a = await runToCompletion(
      arithHarness({ config: configs.lookahead(4, 2, 3), seed: 1, stepErrorRate: 0.5 }).ctx,
    );
    const b = await runToCompletion(
      arithHarness({ config: configs.lookahead(4, 2, 3), seed: 2, stepErrorRate: 0.5 }).ctx,
    );
    const rollouts = (ev: TraceEvent[]) => {
      const text = new Map(of(ev, 'text_appended').map((t) => [t.id, t.text]));
      const parent = new Map(of(ev, 'node_created').map((n) => [n.id, n.parent]));
      const m = new Map<string, string>();
      for (const s of of(ev, 'scored')) {
        if (s.rollout === undefined) continue;
        let path = '';
        for (
          let cur: string | null | undefined = s.id;
          cur && cur !== 'root';
          cur = parent.get(cur)
        )
          path = (text.get(cur) ?? '') + path;
        m.set(path, s.rollout);
      }
      return m;
    };
    const ra = rollouts(a.events);
    const rb = rollouts(b.events);
    let shared = 0;
    for (const [path, roll] of ra) {
      if (!rb.has(path)) continue;
      shared++;
      expect(rb.get(path)).toBe(roll);
    }
    expect(shared).toBeGreaterThan(0);
  });
});
