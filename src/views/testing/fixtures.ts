/**
 * Hand-built traces for the views' tests (and for looking at the views without running a
 * model). The texts are arithmetic solutions written here, not model output, and run metadata
 * says so. Each builder returns events that replayTrace accepts.
 */
import { bestOfNWeighted, type VoteCandidate } from '../../engine/aggregate';
import { Rng } from '../../engine/random';
import { TRACE_VERSION, type TraceEvent } from '../../engine/trace/events';
import type { Costs, Problem, StrategyConfig } from '../../engine/types';

const problem: Problem = {
  id: 'arith-fixture',
  taskId: 'arith',
  level: 3,
  question: 'Start with 37, add 45, multiply by 2, subtract 13.',
  answer: '151',
};

const zero: Costs = {
  generations: 0,
  generatedTokens: 0,
  promptTokens: 0,
  verifierTokens: 0,
  flops: 0,
};

function started(strategy: StrategyConfig): TraceEvent {
  return {
    type: 'run_started',
    version: TRACE_VERSION,
    runId: `fixture-${strategy.kind}`,
    task: { id: 'arith', label: 'Arithmetic' },
    problem,
    model: { id: 'fixture', label: 'Hand-written fixture trace', parameterCount: 1000 },
    verifier: {
      id: 'fixture-prm',
      label: 'Hand-written scores',
      kind: 'prm',
      parameterCount: 1000,
    },
    strategy,
    seed: 1,
  };
}

const common = { temperature: 0.8, topP: 1, aggregation: 'last' as const, maxTokens: 64 };
const STEPS = ['37+45=82', '82*2=164', '164-13=151'];

/**
 * The fixture problem's solution, with step `wrongAt` (0-based, or null for none) off by
 * `delta`; later steps build on the wrong value, as a model's would.
 */
export function arithSolution(wrongAt: number | null, delta = 1): { text: string; answer: string } {
  const ops: [string, number][] = [
    ['+', 45],
    ['*', 2],
    ['-', 13],
  ];
  let value = 37;
  const lines: string[] = [];
  ops.forEach(([op, x], i) => {
    let next = op === '+' ? value + x : op === '*' ? value * x : value - x;
    if (i === wrongAt) next += delta;
    lines.push(`${value}${op}${x}=${next}`);
    value = next;
  });
  return { text: `${lines.join('\n')}\nA:${value}\n`, answer: String(value) };
}

/**
 * Best-of-N: N attempts, each a whole solution; about a third are wrong. Selection is best-of-N
 * weighted over the aggregated scores.
 * @param n number of samples
 * @param seed makes the wrong ones and the scores
 * @param texts optional texts that replace the generated ones (by lane), e.g. to test escaping
 */
export function bestOfNFixture(
  n: number,
  seed = 1,
  texts: Record<number, string> = {},
): TraceEvent[] {
  const rng = new Rng(seed);
  const events: TraceEvent[] = [
    started({ kind: 'best-of-n', n, selection: 'weighted', ...common }),
    { type: 'node_created', id: 'root', parent: null, kind: 'root' },
    { type: 'text_appended', id: 'root', text: 'Q:37,+45,*2,-13\n', tokens: 0 },
  ];
  const candidates: VoteCandidate[] = [];
  for (let i = 0; i < n; i++) {
    events.push({
      type: 'node_created',
      id: `s${i}`,
      parent: 'root',
      kind: 'attempt',
      round: 0,
      lane: i,
    });
  }
  for (let i = 0; i < n; i++) {
    const wrong = rng.next() < 0.35 ? rng.int(0, 2) : null;
    const sol = arithSolution(wrong, rng.int(1, 3));
    const text = texts[i] ?? sol.text;
    const answer = texts[i] === undefined ? sol.answer : null;
    const correct = answer === problem.answer;
    events.push({ type: 'text_appended', id: `s${i}`, text, tokens: text.length });
    events.push({
      type: 'finished',
      id: `s${i}`,
      answer,
      correct,
      reason: answer === null ? 'eos' : 'answer',
    });
    const stepScores = text
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((_, k) =>
        wrong !== null && k >= wrong ? 0.1 + 0.2 * rng.next() : 0.7 + 0.3 * rng.next(),
      );
    const score = stepScores[stepScores.length - 1] ?? 0;
    candidates.push({ id: `s${i}`, answer, score, correct });
    events.push({ type: 'scored', id: `s${i}`, score, stepScores, source: 'prm' });
  }
  const result = bestOfNWeighted(candidates);
  events.push({
    type: 'selected',
    id: result.winner?.id ?? null,
    answer: result.answer,
    correct: result.correct,
    method: 'weighted',
    votes: result.votes,
  });
  events.push({
    type: 'run_finished',
    status: 'completed',
    answer: result.answer,
    correct: result.correct,
    costs: zero,
  });
  return events;
}

/**
 * Sequential revisions: `chains` chains of `length` attempts; each attempt fixes the previous
 * one's first wrong step with probability 1/2. The last attempt of chain 0 is selected.
 */
export function revisionsFixture(chains: number, length: number, seed = 2): TraceEvent[] {
  const rng = new Rng(seed);
  const events: TraceEvent[] = [
    started({ kind: 'revisions', n: chains * length, chains, selection: 'verifier', ...common }),
    { type: 'node_created', id: 'root', parent: null, kind: 'root' },
  ];
  const wrongAt: (number | null)[] = Array.from({ length: chains }, () => rng.int(0, 2));
  for (let round = 0; round < length; round++) {
    for (let c = 0; c < chains; c++) {
      const id = `c${c}a${round}`;
      events.push({
        type: 'node_created',
        id,
        parent: round === 0 ? 'root' : `c${c}a${round - 1}`,
        kind: 'attempt',
        round,
        lane: c,
      });
      if (round > 0 && rng.next() < 0.5) wrongAt[c] = null;
      const sol = arithSolution(wrongAt[c] ?? null, 1 + round);
      events.push({ type: 'text_appended', id, text: sol.text, tokens: sol.text.length });
      events.push({
        type: 'finished',
        id,
        answer: sol.answer,
        correct: sol.answer === problem.answer,
        reason: 'answer',
      });
      const score = sol.answer === problem.answer ? 0.9 : 0.2;
      events.push({
        type: 'scored',
        id,
        score,
        stepScores: [score, score, score, score],
        source: 'prm',
      });
    }
  }
  const chosen = `c0a${length - 1}`;
  events.push({
    type: 'selected',
    id: chosen,
    answer: '151',
    correct: true,
    method: 'weighted',
    votes: [{ answer: '151', count: 1, weight: 0.9, correct: true }],
  });
  return events;
}

/**
 * Beam search: round 0 proposes N first steps; each round keeps the N/M best (by a seeded score)
 * and prunes the rest; each kept beam proposes M children. The last round's nodes finish, and the
 * best finished node is selected.
 * @param n budget N (proposals per round)
 * @param beamWidth M
 * @param rounds number of rounds
 */
export function beamFixture(n: number, beamWidth: number, rounds: number, seed = 3): TraceEvent[] {
  const rng = new Rng(seed);
  const events: TraceEvent[] = [
    started({ kind: 'beam', n, beamWidth, maxRounds: rounds, ...common }),
    { type: 'node_created', id: 'root', parent: null, kind: 'root' },
    { type: 'text_appended', id: 'root', text: 'Q:37,+45,*2,-13\n', tokens: 0 },
  ];
  let parents = ['root'];
  let best: { id: string; score: number } | null = null;
  for (let round = 0; round < rounds; round++) {
    const created: { id: string; score: number }[] = [];
    const perParent = round === 0 ? n : beamWidth;
    parents.forEach((p, pi) => {
      for (let j = 0; j < perParent; j++) {
        const id = `r${round}p${pi}c${j}`;
        events.push({
          type: 'node_created',
          id,
          parent: p,
          kind: round === rounds - 1 ? 'answer' : 'step',
          round,
          lane: pi,
        });
        const text = round === rounds - 1 ? `A:${150 + (j % 3)}\n` : `${STEPS[round % 3]}\n`;
        events.push({ type: 'text_appended', id, text, tokens: 6 });
        created.push({ id, score: Math.round(rng.next() * 100) / 100 });
      }
    });
    for (const c of created) {
      events.push({
        type: 'scored',
        id: c.id,
        score: c.score,
        stepScores: [c.score],
        source: 'prm',
      });
    }
    if (round === rounds - 1) {
      for (const c of created) {
        const answer = `${150 + (Number(/c(\d+)$/.exec(c.id)?.[1]) % 3)}`;
        events.push({
          type: 'finished',
          id: c.id,
          answer,
          correct: answer === '151',
          reason: 'answer',
        });
        if (!best || c.score > best.score) best = c;
      }
    } else {
      const ranked = [...created].sort((a, b) => b.score - a.score);
      const kept = ranked.slice(0, n / beamWidth).map((c) => c.id);
      const pruned = ranked.slice(n / beamWidth).map((c) => c.id);
      events.push({ type: 'kept', ids: kept, round });
      events.push({ type: 'pruned', ids: pruned, round });
      parents = created.map((c) => c.id).filter((id) => kept.includes(id));
    }
  }
  const winner = best as { id: string; score: number };
  events.push({
    type: 'selected',
    id: winner.id,
    answer: '151',
    correct: true,
    method: 'weighted',
    votes: [{ answer: '151', count: 1, weight: winner.score, correct: true }],
  });
  return events;
}
