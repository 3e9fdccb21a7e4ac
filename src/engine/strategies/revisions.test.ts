import { describe, it, expect } from 'vitest';
import { runToCompletion } from '../run';
import { arithHarness, configs, traceProblems } from '../testing';
import type { TraceEvent } from '../trace/events';
import { MAX_PREVIOUS_ATTEMPTS, revisionSplit } from './revisions';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T) =>
  events.filter((e): e is Ev<T> => e.type === type);

describe('revisionSplit', () => {
  it('splits N into chains x length at every power-of-two ratio', () => {
    for (const n of [1, 2, 4, 8, 16, 32, 64]) {
      for (let chains = 1; chains <= n; chains *= 2) {
        const s = revisionSplit(n, chains);
        expect(s.chains * s.length).toBe(n);
        expect(s.chains).toBe(chains);
      }
    }
  });
  it('rejects splits that are not powers of two, with a clear message', () => {
    expect(() => revisionSplit(12, 4)).toThrow(/n must be a power of two/);
    expect(() => revisionSplit(16, 3)).toThrow(/chains must be a power of two/);
    expect(() => revisionSplit(4, 8)).toThrow(/cannot exceed/);
    expect(() => revisionSplit(8, 0)).toThrow(/power of two/);
  });
});

describe('sequentialRevisions', () => {
  it.each([1, 2, 4, 8, 16])(
    "N=16, %i chains: chains x length attempts, prompts hold the chain's last <= 4 attempts",
    async (chains) => {
      const { ctx, model, problem } = arithHarness({
        config: configs.revisions(16, chains),
        stepErrorRate: 0.3,
      });
      const r = await runToCompletion(ctx);
      expect(r.status).toBe('completed');
      expect(traceProblems(r.events)).toEqual([]);
      const length = 16 / chains;
      const attempts = of(r.events, 'node_created').filter((e) => e.kind === 'attempt');
      expect(attempts).toHaveLength(16);
      expect(new Set(attempts.map((a) => a.lane)).size).toBe(chains);
      expect(Math.max(...attempts.map((a) => a.round ?? -1))).toBe(length - 1);
      expect(r.costs.generations).toBe(16);
      // One batched call per round, one prompt per chain.
      expect(model.requests.map((q) => q.prompts.length)).toEqual(
        Array.from({ length }, () => chains),
      );

      // Rebuild each chain's texts from the trace and check every prompt against them.
      const text = new Map(of(r.events, 'text_appended').map((t) => [t.id, t.text]));
      const chainTexts: string[][] = Array.from({ length: chains }, () => []);
      for (const a of attempts) {
        const lane = a.lane ?? -1;
        const chain = chainTexts[lane] as string[];
        const round = a.round ?? -1;
        const prompt = model.requests[round]?.prompts[lane] ?? '';
        expect(prompt).toBe(ctx.task.formatPrompt(problem, chain.slice(-MAX_PREVIOUS_ATTEMPTS)));
        const previous = (prompt.match(/^A:/gm) ?? []).length;
        expect(previous).toBe(Math.min(round, MAX_PREVIOUS_ATTEMPTS));
        // Each attempt continues its own chain.
        expect(a.parent).toBe(
          round === 0 ? 'root' : attempts.find((b) => b.lane === lane && b.round === round - 1)?.id,
        );
        chain.push(text.get(a.id) ?? '');
      }
    },
  );

  it('majority selection votes over all attempts', async () => {
    const { ctx } = arithHarness({
      config: configs.revisions(16, 4, 'majority'),
      stepErrorRate: 0.4,
    });
    const r = await runToCompletion(ctx);
    const counts = new Map<string, number>();
    for (const f of of(r.events, 'finished'))
      if (f.answer) counts.set(f.answer, (counts.get(f.answer) ?? 0) + 1);
    const sel = of(r.events, 'selected')[0];
    expect(sel?.method).toBe('majority');
    expect(counts.get(sel?.answer ?? '')).toBe(Math.max(...counts.values()));
    expect(sel?.votes.reduce((k, v) => k + v.count, 0)).toBe(16);
  });

  it('verifier selection: weighted within each chain, then across the chain winners', async () => {
    for (const seed of [1, 2, 3]) {
      const { ctx } = arithHarness({
        config: configs.revisions(16, 4, 'verifier'),
        seed,
        stepErrorRate: 0.4,
      });
      const r = await runToCompletion(ctx);
      const score = new Map(of(r.events, 'scored').map((s) => [s.id, s.score]));
      const lane = new Map(of(r.events, 'node_created').map((n) => [n.id, n.lane]));
      const winners: { answer: string; score: number }[] = [];
      for (let c = 0; c < 4; c++) {
        const sums = new Map<string, { sum: number; best: number }>();
        for (const f of of(r.events, 'finished')) {
          if (lane.get(f.id) !== c || f.answer === null) continue;
          const s = score.get(f.id) ?? 0;
          const row = sums.get(f.answer) ?? { sum: 0, best: -1 };
          row.sum += s;
          row.best = Math.max(row.best, s);
          sums.set(f.answer, row);
        }
        const top = [...sums.entries()].sort((a, b) => b[1].sum - a[1].sum)[0];
        if (top) winners.push({ answer: top[0], score: top[1].best });
      }
      const across = new Map<string, number>();
      for (const w of winners) across.set(w.answer, (across.get(w.answer) ?? 0) + w.score);
      const sel = of(r.events, 'selected')[0];
      expect(sel?.method).toBe('weighted');
      expect(sel?.votes.reduce((k, v) => k + v.count, 0)).toBe(winners.length);
      expect(across.get(sel?.answer ?? '')).toBeCloseTo(Math.max(...across.values()), 12);
    }
  });

  it('without a verifier falls back to majority', async () => {
    const { ctx } = arithHarness({ config: configs.revisions(8, 2, 'verifier'), verifier: 'none' });
    const r = await runToCompletion(ctx);
    expect(of(r.events, 'selected')[0]?.method).toBe('majority');
    expect(of(r.events, 'scored')).toHaveLength(0);
  });
});
