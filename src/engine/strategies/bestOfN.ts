/**
 * Best-of-N: sample N complete solutions in parallel, then pick one by naive best-of-N (highest
 * verifier score), majority vote, or best-of-N weighted (the paper's default). Without a verifier
 * the selection falls back to majority vote. Cost: N generations.
 */
import { selectAnswer, type VoteCandidate } from '../aggregate';
import type { TraceEvent } from '../trace/events';
import { requirePositiveInt, selectedEvent, type StrategyRuntime } from './common';

/**
 * Runs best-of-N for `rt.ctx` (config.kind 'best-of-n'). Lanes are nodes of kind 'attempt'
 * (lane i, round 0) under the root. Emits node_created, text_appended, finished, scored (with a
 * verifier), cost and one selected event.
 */
export async function* bestOfN(rt: StrategyRuntime): AsyncGenerator<TraceEvent, void> {
  const { config, verifier } = rt.ctx;
  if (config.kind !== 'best-of-n') throw new Error(`bestOfN got a ${config.kind} config`);
  requirePositiveInt('n', config.n);

  const ids: string[] = [];
  for (let lane = 0; lane < config.n; lane++) {
    const id = rt.nextNodeId();
    ids.push(id);
    yield rt.nodeCreated(id, 'root', 'attempt', { round: 0, lane });
  }
  const completions = yield* rt.generate(
    ids.map(() => rt.basePrompt),
    { generations: config.n, endAtFinalStep: true },
  );
  const texts = completions.map((c) => c.text);
  for (const [i, c] of completions.entries()) {
    const id = ids[i] as string;
    yield rt.textAppended(id, c);
    yield rt.finished(id, c.text, rt.solutionFinish(c.text, c));
  }

  const scores = texts.map(() => 0);
  if (verifier) {
    const results = yield* rt.score(texts);
    for (const [i, r] of results.entries()) {
      const score = rt.aggregate(r.stepScores);
      scores[i] = score;
      yield {
        type: 'scored',
        id: ids[i] as string,
        score,
        stepScores: r.stepScores,
        source: verifier.kind,
      };
    }
  }

  const candidates: VoteCandidate[] = texts.map((t, i) => ({
    id: ids[i] as string,
    score: scores[i] ?? 0,
    ...rt.grade(t),
  }));
  const method = verifier ? config.selection : 'majority';
  yield selectedEvent(method, selectAnswer(candidates, method));
}
