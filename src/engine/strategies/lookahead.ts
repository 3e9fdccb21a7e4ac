/**
 * Lookahead search: PRM beam search in which a candidate step is scored by rolling it out k
 * further steps at temperature 0 and taking the PRM's score at the end of the rollout (the rollout
 * stops early if it finishes the solution). The rollout only scores the candidate: the beam keeps
 * the candidate step, not the rollout.
 *
 * Costs: the paper counts lookahead as N x (k+1) generations, charged with the first round's
 * proposals. Rollout tokens are real generated tokens: every rollout call emits a cost event, and
 * each `scored` event carries its `rollout` text and `rolloutTokens`, so generatedTokens equals the
 * sum of text_appended tokens plus the sum of rolloutTokens.
 */
import type { TraceEvent } from '../trace/events';
import {
  beamSearchLoop,
  type Candidate,
  type CandidateScore,
  type CandidateScorer,
} from './beamSearch';
import { requirePositiveInt, type StrategyRuntime } from './common';

interface Rollout {
  text: string;
  tokens: number;
  done: boolean;
}

/**
 * A scorer that rolls each unfinished candidate out `k` steps at temperature 0, then asks the PRM
 * about candidate + rollout. Candidates that already finished are scored as they are.
 */
export function lookaheadScorer(k: number): CandidateScorer {
  return async function* (rt: StrategyRuntime, candidates: readonly Candidate[]) {
    const { verifier, task } = rt.ctx;
    if (!verifier) throw new Error('lookahead search needs a verifier (a PRM or the oracle)');
    const rollouts: Rollout[] = candidates.map((c) => ({
      text: '',
      tokens: 0,
      done: c.finish !== null,
    }));
    for (let step = 0; step < k; step++) {
      const live = rollouts.flatMap((r, i) => (r.done ? [] : [i]));
      if (live.length === 0) break;
      const completions = yield* rt.generate(
        live.map((i) => rt.basePrompt + (candidates[i]?.text ?? '') + (rollouts[i]?.text ?? '')),
        { generations: 0, temperature: 0, stop: [task.stepDelimiter] },
      );
      for (const [j, c] of completions.entries()) {
        const r = rollouts[live[j] as number] as Rollout;
        r.text += c.text;
        r.tokens += c.completionTokens;
        if (rt.stepFinish(c.text, c)) r.done = true;
      }
    }
    const results = yield* rt.score(candidates.map((c, i) => c.text + (rollouts[i]?.text ?? '')));
    const out: CandidateScore[] = [];
    for (const [i, res] of results.entries()) {
      const cand = candidates[i] as Candidate;
      const roll = rollouts[i] as Rollout;
      const score = rt.aggregate(res.stepScores);
      if (cand.finish) {
        // Nothing to roll out: the PRM scores the finished solution itself.
        out.push({ score, stepScores: res.stepScores });
        yield {
          type: 'scored',
          id: cand.nodeId,
          score,
          stepScores: res.stepScores,
          source: verifier.kind,
        };
      } else {
        out.push({
          score,
          stepScores: res.stepScores,
          rollout: roll.text,
          rolloutTokens: roll.tokens,
        });
        // stepScores cover the path and then the rollout's steps, in order.
        yield {
          type: 'scored',
          id: cand.nodeId,
          score,
          stepScores: res.stepScores,
          source: 'lookahead',
          rollout: roll.text,
          rolloutTokens: roll.tokens,
        };
      }
    }
    return out;
  };
}

/**
 * Runs lookahead search for `rt.ctx` (config.kind 'lookahead', k = config.lookahead >= 0; k = 0
 * is plain beam search). Needs a verifier.
 */
export async function* lookaheadSearch(rt: StrategyRuntime): AsyncGenerator<TraceEvent, void> {
  const { config } = rt.ctx;
  if (config.kind !== 'lookahead') throw new Error(`lookaheadSearch got a ${config.kind} config`);
  if (config.lookahead !== 0) requirePositiveInt('lookahead', config.lookahead);
  yield* beamSearchLoop(rt, {
    n: config.n,
    beamWidth: config.beamWidth,
    maxRounds: config.maxRounds,
    generations: config.n * (config.lookahead + 1),
    scorer: lookaheadScorer(config.lookahead),
  });
}
