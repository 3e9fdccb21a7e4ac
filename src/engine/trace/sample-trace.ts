/**
 * Small hand-built traces for tests, docs and fixtures. They are constructed by hand (no model ran),
 * and their run metadata says so.
 */
import { Rng } from '../random';
import type { Costs, Problem } from '../types';
import { TRACE_VERSION, type TraceEvent } from './events';

const problem: Problem = {
  id: 'arith-l1-example',
  taskId: 'arith',
  level: 1,
  question: 'Start with 37, add 45, then multiply by 2.',
  answer: '164',
};

function costs(generations: number, generatedTokens: number, promptTokens: number): Costs {
  const verifierTokens = 0;
  return {
    generations,
    generatedTokens,
    promptTokens,
    verifierTokens,
    flops: 2 * 1000 * (generatedTokens + promptTokens),
  };
}

function runStarted(seed: number): Extract<TraceEvent, { type: 'run_started' }> {
  return {
    type: 'run_started',
    version: TRACE_VERSION,
    runId: `example-${seed}`,
    task: { id: 'arith', label: 'Arithmetic' },
    problem,
    model: { id: 'hand-written', label: 'Hand-written example trace', parameterCount: 1000 },
    verifier: {
      id: 'oracle',
      label: 'Exact step checker (oracle)',
      kind: 'oracle',
      parameterCount: 0,
    },
    strategy: {
      kind: 'beam',
      n: 4,
      beamWidth: 2,
      maxRounds: 40,
      temperature: 0.8,
      topP: 1,
      aggregation: 'last',
      maxTokens: 32,
    },
    seed,
  };
}

/**
 * A two-round beam search (N=4, M=2) on one arithmetic question, written by hand: four first steps,
 * two kept, each expanded twice, answers, a weighted vote and the run's end.
 */
export function exampleBeamTrace(): TraceEvent[] {
  return [
    runStarted(7),
    { type: 'node_created', id: 'root', parent: null, kind: 'root' },
    { type: 'text_appended', id: 'root', text: 'Q:37,+45,*2\n', tokens: 0 },
    { type: 'node_created', id: 'a', parent: 'root', kind: 'step', round: 0, lane: 0 },
    { type: 'node_created', id: 'b', parent: 'root', kind: 'step', round: 0, lane: 1 },
    { type: 'node_created', id: 'c', parent: 'root', kind: 'step', round: 0, lane: 2 },
    { type: 'node_created', id: 'd', parent: 'root', kind: 'step', round: 0, lane: 3 },
    { type: 'text_appended', id: 'a', text: '37+45=82\n', tokens: 9, logprobs: [-0.1, -0.2] },
    { type: 'text_appended', id: 'b', text: '37+45=72\n', tokens: 9 },
    { type: 'text_appended', id: 'c', text: '37+45=82\n', tokens: 9 },
    { type: 'text_appended', id: 'd', text: '37+4', tokens: 4 },
    { type: 'text_appended', id: 'd', text: '5=83\n', tokens: 5 },
    { type: 'cost', delta: costs(0, 36, 48) },
    { type: 'scored', id: 'a', score: 0.9, stepScores: [0.9], source: 'oracle' },
    { type: 'scored', id: 'b', score: 0.1, stepScores: [0.1], source: 'oracle' },
    { type: 'scored', id: 'c', score: 0.8, stepScores: [0.8], source: 'oracle' },
    { type: 'scored', id: 'd', score: 0.2, stepScores: [0.2], source: 'oracle' },
    { type: 'kept', ids: ['a', 'c'], round: 0 },
    { type: 'pruned', ids: ['b', 'd'], round: 0 },
    { type: 'node_created', id: 'a1', parent: 'a', kind: 'answer', round: 1, lane: 0 },
    { type: 'node_created', id: 'a2', parent: 'a', kind: 'step', round: 1, lane: 1 },
    { type: 'node_created', id: 'c1', parent: 'c', kind: 'answer', round: 1, lane: 2 },
    { type: 'node_created', id: 'c2', parent: 'c', kind: 'answer', round: 1, lane: 3 },
    { type: 'text_appended', id: 'a1', text: '82*2=164\nA:164\n', tokens: 15 },
    { type: 'text_appended', id: 'a2', text: '82*2=166\n', tokens: 9 },
    { type: 'text_appended', id: 'c1', text: '82*2=164\nA:164\n', tokens: 15 },
    { type: 'text_appended', id: 'c2', text: '82*2=160\nA:160\n', tokens: 15 },
    { type: 'cost', delta: costs(4, 54, 80) },
    { type: 'scored', id: 'a1', score: 0.85, stepScores: [0.9, 0.85], source: 'oracle' },
    { type: 'scored', id: 'a2', score: 0.05, stepScores: [0.9, 0.05], source: 'oracle' },
    { type: 'scored', id: 'c1', score: 0.8, stepScores: [0.8, 0.8], source: 'oracle' },
    { type: 'scored', id: 'c2', score: 0.1, stepScores: [0.8, 0.1], source: 'oracle' },
    { type: 'finished', id: 'a1', answer: '164', correct: true, reason: 'answer' },
    { type: 'finished', id: 'c1', answer: '164', correct: true, reason: 'answer' },
    { type: 'finished', id: 'c2', answer: '160', correct: false, reason: 'answer' },
    { type: 'pruned', ids: ['a2'], round: 1 },
    {
      type: 'selected',
      id: 'a1',
      answer: '164',
      correct: true,
      method: 'weighted',
      votes: [
        { answer: '164', count: 2, weight: 1.65, correct: true },
        { answer: '160', count: 1, weight: 0.1, correct: false },
      ],
    },
    {
      type: 'run_finished',
      status: 'completed',
      answer: '164',
      correct: true,
      costs: costs(4, 90, 128),
    },
  ];
}

/**
 * A random but well-formed trace (seeded): a tree grown by random node creations, text, scores,
 * prunes, finishes, re-selections and costs. For property tests of the reducer and validator.
 *
 * @param seed random seed; the same seed gives the same trace
 * @param length roughly how many events after `run_started`
 */
export function randomTrace(seed: number, length = 80): TraceEvent[] {
  const rng = new Rng(seed);
  const events: TraceEvent[] = [runStarted(seed)];
  const ids: string[] = ['root'];
  events.push({ type: 'node_created', id: 'root', parent: null, kind: 'root' });
  let round = 0;
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    const id = rng.pick(ids);
    if (r < 0.3) {
      const next = `n${ids.length}`;
      const kind = rng.pick(['step', 'answer', 'attempt'] as const);
      const created: TraceEvent = { type: 'node_created', id: next, parent: id, kind };
      if (rng.next() < 0.7) created.round = rng.int(0, 5);
      if (rng.next() < 0.5) created.lane = rng.int(0, 7);
      events.push(created);
      ids.push(next);
    } else if (r < 0.55) {
      const tokens = rng.int(0, 12);
      events.push({ type: 'text_appended', id, text: `t${i};`, tokens });
    } else if (r < 0.7) {
      const steps = rng.int(1, 4);
      const stepScores = Array.from({ length: steps }, () => Math.round(rng.next() * 100) / 100);
      const scored: TraceEvent = {
        type: 'scored',
        id,
        score: stepScores[steps - 1] as number,
        stepScores,
        source: rng.pick(['prm', 'oracle', 'lookahead'] as const),
      };
      if (scored.source === 'lookahead') {
        scored.rollout = `rollout ${i}`;
        scored.rolloutTokens = rng.int(1, 20);
      }
      events.push(scored);
    } else if (r < 0.8) {
      round += rng.int(0, 1);
      const some = ids.filter(() => rng.next() < 0.3);
      events.push({ type: rng.next() < 0.5 ? 'kept' : 'pruned', ids: some, round });
    } else if (r < 0.88) {
      const answer = rng.next() < 0.2 ? null : String(rng.int(0, 3));
      const reason = rng.pick(['answer', 'eos', 'length', 'max_rounds'] as const);
      events.push({ type: 'finished', id, answer, correct: answer === '1', reason });
    } else if (r < 0.93) {
      const chosen = rng.next() < 0.1 ? null : id;
      events.push({
        type: 'selected',
        id: chosen,
        answer: chosen === null ? null : '1',
        correct: chosen !== null,
        method: rng.pick(['naive', 'majority', 'weighted'] as const),
        votes: [{ answer: '1', count: 2, weight: 1.5, correct: true }],
      });
    } else {
      const gen = rng.int(0, 20);
      events.push({ type: 'cost', delta: costs(rng.int(0, 2), gen, rng.int(0, 30)) });
    }
  }
  events.push({
    type: 'run_finished',
    status: rng.next() < 0.8 ? 'completed' : 'cancelled',
    answer: null,
    correct: false,
    costs: costs(0, 0, 0),
  });
  return events;
}
