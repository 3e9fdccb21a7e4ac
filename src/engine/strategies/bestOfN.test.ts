import { describe, it, expect } from 'vitest';
import { runToCompletion } from '../run';
import {
  arithHarness,
  configs,
  constantScript,
  scriptedVerifier,
  tableScores,
  traceProblems,
} from '../testing';
import { ScriptedModel } from '../testing/scriptedModel';
import type { TraceEvent } from '../trace/events';

type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const of = <T extends TraceEvent['type']>(events: TraceEvent[], type: T) =>
  events.filter((e): e is Ev<T> => e.type === type);

/** answer -> {count, sum} recomputed from the trace's finished and scored events. */
function tally(events: TraceEvent[]) {
  const score = new Map(of(events, 'scored').map((e) => [e.id, e.score]));
  const t = new Map<string, { count: number; sum: number }>();
  for (const f of of(events, 'finished')) {
    if (f.answer === null) continue;
    const row = t.get(f.answer) ?? { count: 0, sum: 0 };
    row.count += 1;
    row.sum += score.get(f.id) ?? 0;
    t.set(f.answer, row);
  }
  return t;
}

describe('bestOfN', () => {
  it('samples N attempts as lanes under the root, N generations, sound trace', async () => {
    const { ctx } = arithHarness({ config: configs.bestOfN(8), stepErrorRate: 0.3 });
    const r = await runToCompletion(ctx);
    expect(traceProblems(r.events)).toEqual([]);
    const nodes = of(r.events, 'node_created').filter((e) => e.kind !== 'root');
    expect(nodes).toHaveLength(8);
    expect(nodes.every((n) => n.kind === 'attempt' && n.parent === 'root' && n.round === 0)).toBe(
      true,
    );
    expect(nodes.map((n) => n.lane)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.costs.generations).toBe(8);
    expect(of(r.events, 'finished')).toHaveLength(8);
    expect(of(r.events, 'scored')).toHaveLength(8);
  });

  it('weighted selection picks the answer with the largest score sum', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { ctx } = arithHarness({
        config: configs.bestOfN(16, 'weighted'),
        seed,
        stepErrorRate: 0.35,
      });
      const r = await runToCompletion(ctx);
      const sel = of(r.events, 'selected')[0];
      expect(sel?.method).toBe('weighted');
      const t = tally(r.events);
      const best = Math.max(...[...t.values()].map((x) => x.sum));
      expect(t.get(sel?.answer ?? '')?.sum).toBe(best);
      expect(r.answer).toBe(sel?.answer);
    }
  });

  it('naive picks the highest-scored attempt; no verifier falls back to majority', async () => {
    const { ctx } = arithHarness({ config: configs.bestOfN(16, 'naive'), stepErrorRate: 0.35 });
    const r = await runToCompletion(ctx);
    const sel = of(r.events, 'selected')[0];
    const scores = of(r.events, 'scored');
    const top = Math.max(...scores.map((s) => s.score));
    expect(scores.find((s) => s.id === sel?.id)?.score).toBe(top);

    const h = arithHarness({
      config: configs.bestOfN(16, 'weighted'),
      verifier: 'none',
      stepErrorRate: 0.35,
    });
    const m = await runToCompletion(h.ctx);
    const msel = of(m.events, 'selected')[0];
    expect(msel?.method).toBe('majority');
    expect(of(m.events, 'scored')).toHaveLength(0);
    const t = tally(m.events);
    expect(t.get(msel?.answer ?? '')?.count).toBe(Math.max(...[...t.values()].map((x) => x.count)));
  });

  it('weighted and majority disagree when many weak attempts agree', async () => {
    // Three attempts say 7 (scored 0.1), two say 8 (scored 0.9).
    const base = arithHarness({ config: configs.bestOfN(5, 'weighted') });
    const model = new ScriptedModel({
      script: (_p, _rng, call) => (call.index < 3 ? 'A:7\n' : 'A:8\n'),
    });
    const verifier = scriptedVerifier({ score: tableScores({ 'A:7': [0.1], 'A:8': [0.9] }) });
    const w = await runToCompletion({ ...base.ctx, model, verifier });
    const m = await runToCompletion({
      ...base.ctx,
      model,
      verifier,
      config: configs.bestOfN(5, 'majority'),
    });
    expect(w.answer).toBe('8');
    expect(m.answer).toBe('7');
    expect(of(w.events, 'selected')[0]?.votes).toEqual([
      { answer: '8', count: 2, weight: 1.8, correct: base.problem.answer === '8' },
      { answer: '7', count: 3, weight: 0.1 + 0.1 + 0.1, correct: base.problem.answer === '7' },
    ]);
  });

  it('chunks prompts by maxBatch and keeps the same accounting', async () => {
    const { ctx, model } = arithHarness({
      config: configs.bestOfN(8),
      capabilities: { batching: false, maxBatch: 3 },
    });
    const r = await runToCompletion(ctx);
    expect(r.status).toBe('completed');
    expect(model.requests.map((q) => q.prompts.length)).toEqual([3, 3, 2]);
    // Each chunk is its own call with its own seed.
    expect(new Set(model.requests.map((q) => q.seed)).size).toBe(3);
    expect(r.costs.generations).toBe(8);
    expect(of(r.events, 'cost').filter((c) => c.delta.generatedTokens > 0)).toHaveLength(3);
    expect(traceProblems(r.events)).toEqual([]);
  });
});

describe('bestOfN on a backend that runs on past its answer', () => {
  it('ends each solution at its first final-answer step but still charges every token', async () => {
    const { ctx, problem } = arithHarness({
      config: configs.bestOfN(2, 'majority'),
      level: 1,
      verifier: 'none',
    });
    const data = problem.data as { start: number; ops: { op: string; operand: number }[] };
    const op = data.ops[0]!;
    const right = `${data.start}${op.op}${op.operand}=${problem.answer}\nA:${problem.answer}\n`;
    const runOn = `${right}1+1=2\nA:2\n`;
    const model = new ScriptedModel({ script: constantScript(runOn) });
    const result = await runToCompletion({ ...ctx, model });
    const texts = result.events.flatMap((e) =>
      e.type === 'text_appended' && e.id !== 'root' ? [e.text] : [],
    );
    expect(texts).toEqual([right, right]);
    expect(result.answer).toBe(problem.answer);
    expect(result.correct).toBe(true);
    expect(result.costs.generatedTokens).toBe(2 * runOn.length);
  });
});
