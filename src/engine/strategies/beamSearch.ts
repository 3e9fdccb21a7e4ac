/**
 * PRM beam search, after the reference implementation of the paper (Hugging Face
 * search-and-learn, `beam_search.py`):
 * - round 0 samples N first steps from the question;
 * - each round, the PRM scores every candidate; candidates that finished (final-answer step, end
 *   token, token cap, or nothing generated) leave the active set for the finished pool; of the
 *   rest, exactly min(N/M, #unfinished) are kept, the others pruned;
 * - the next round spreads N proposals over the kept beams (M each; when fewer than N/M remain,
 *   the N proposals are spread over them round-robin, as the reference duplicates active beams);
 * - the search stops when no beam is active or after maxRounds rounds; beams still active then
 *   finish with reason 'max_rounds' and join the pool (they usually have no answer, so they never
 *   win while an answered beam exists). The reference instead lets its last round generate to
 *   the end of the solution; stopping keeps every round a single step.
 * The answer is best-of-N weighted over the whole finished pool. Cost: N generations (each round
 * extends the same N paths by one step).
 *
 * Lookahead search (lookahead.ts) is this search with a different candidate score.
 */
import { bestOfNWeighted, type VoteCandidate } from '../aggregate';
import type { TraceEvent, FinishReason } from '../trace/events';
import type { Completion } from '../types';
import { requireBeamSplit, selectedEvent, type PathState, type StrategyRuntime } from './common';

/** A candidate step of one round, after generation. */
export interface Candidate extends PathState {
  completion: Completion;
  /** Why it ended its path, or null if it can be extended. */
  finish: FinishReason | null;
}

/** A candidate's score, as the beam ranks it. */
export interface CandidateScore {
  score: number;
  stepScores: number[];
  /** Lookahead only: the rollout text that was scored, and the tokens it took. */
  rollout?: string;
  rolloutTokens?: number;
}

/**
 * Scores one round's candidates. Plain beam search asks the PRM about each candidate's path;
 * lookahead search rolls each one out first. Yields its events (cost, scored) itself.
 */
export type CandidateScorer = (
  rt: StrategyRuntime,
  candidates: readonly Candidate[],
  round: number,
) => AsyncGenerator<TraceEvent, CandidateScore[]>;

/** The PRM score of each candidate's path. */
export const prmScorer: CandidateScorer = async function* (rt, candidates) {
  const verifier = rt.ctx.verifier;
  if (!verifier)
    throw new Error(`${rt.ctx.config.kind} search needs a verifier (a PRM or the oracle)`);
  const results = yield* rt.score(candidates.map((c) => c.text));
  const out: CandidateScore[] = [];
  for (const [i, r] of results.entries()) {
    const score = rt.aggregate(r.stepScores);
    out.push({ score, stepScores: r.stepScores });
    const id = candidates[i]?.nodeId as string;
    yield { type: 'scored', id, score, stepScores: r.stepScores, source: verifier.kind };
  }
  return out;
};

/**
 * Spread `total` proposals over `beams` round-robin: beam i gets floor(total/len), the first
 * total % len beams one more. With N/M beams that is M each.
 */
export function spreadProposals(total: number, beams: number): number[] {
  if (beams <= 0) return [];
  const base = Math.floor(total / beams);
  const extra = total % beams;
  return Array.from({ length: beams }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Indices of the `k` best scores; ties go to the earlier candidate (generation order), so the
 * choice is deterministic.
 */
export function topK(scores: readonly number[], k: number): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, Math.max(0, k))
    .map((x) => x.i)
    .sort((a, b) => a - b);
}

export interface BeamSettings {
  n: number;
  beamWidth: number;
  maxRounds: number;
  /** Paper-unit generations charged with round 0 (N, or N x (k+1) for lookahead). */
  generations: number;
  scorer: CandidateScorer;
}

/** The beam search loop shared by beam search and lookahead search. */
export async function* beamSearchLoop(
  rt: StrategyRuntime,
  settings: BeamSettings,
): AsyncGenerator<TraceEvent, void> {
  const { task } = rt.ctx;
  const { n, beamWidth, maxRounds } = settings;
  requireBeamSplit(n, beamWidth, maxRounds);
  if (!rt.ctx.verifier) {
    throw new Error(`${rt.ctx.config.kind} search needs a verifier (a PRM or the oracle)`);
  }
  const keep = n / beamWidth;

  let active: PathState[] = [{ nodeId: 'root', text: '' }];
  const pool: (VoteCandidate & { text: string })[] = [];
  let lastScores = new Map<string, number>();

  for (let round = 0; round < maxRounds && active.length > 0; round++) {
    const counts = spreadProposals(n, active.length);
    const parents: PathState[] = active.flatMap((beam, i) =>
      Array.from({ length: counts[i] ?? 0 }, () => beam),
    );
    const completions = yield* rt.generate(
      parents.map((p) => rt.basePrompt + p.text),
      { generations: round === 0 ? settings.generations : 0, stop: [task.stepDelimiter] },
    );

    const candidates: Candidate[] = [];
    for (const [i, c] of completions.entries()) {
      const parent = parents[i] as PathState;
      const id = rt.nextNodeId();
      yield rt.nodeCreated(id, parent.nodeId, rt.stepKind(c.text), { round });
      yield rt.textAppended(id, c);
      candidates.push({
        nodeId: id,
        text: parent.text + c.text,
        completion: c,
        finish: rt.stepFinish(c.text, c),
      });
    }

    const scores = yield* settings.scorer(rt, candidates, round);
    lastScores = new Map(candidates.map((c, i) => [c.nodeId, scores[i]?.score ?? 0]));

    const open: number[] = [];
    for (const [i, cand] of candidates.entries()) {
      if (cand.finish) {
        yield rt.finished(cand.nodeId, cand.text, cand.finish);
        pool.push({
          id: cand.nodeId,
          text: cand.text,
          score: scores[i]?.score ?? 0,
          ...rt.grade(cand.text),
        });
      } else {
        open.push(i);
      }
    }
    const keptIdx = topK(
      open.map((i) => scores[i]?.score ?? 0),
      keep,
    ).map((j) => open[j] as number);
    const kept = new Set(keptIdx);
    const prunedIdx = open.filter((i) => !kept.has(i));
    if (open.length > 0) {
      yield { type: 'kept', ids: keptIdx.map((i) => candidates[i]?.nodeId as string), round };
      yield { type: 'pruned', ids: prunedIdx.map((i) => candidates[i]?.nodeId as string), round };
    }
    active = keptIdx.map((i) => candidates[i] as Candidate);
  }

  for (const beam of active) {
    yield rt.finished(beam.nodeId, beam.text, 'max_rounds');
    pool.push({
      id: beam.nodeId,
      text: beam.text,
      score: lastScores.get(beam.nodeId) ?? 0,
      ...rt.grade(beam.text),
    });
  }
  yield selectedEvent('weighted', bestOfNWeighted(pool));
}

/**
 * Runs PRM beam search for `rt.ctx` (config.kind 'beam'). Search steps are nodes of kind 'step'
 * (the final-answer step 'answer'), with `round`; needs a verifier.
 */
export async function* beamSearch(rt: StrategyRuntime): AsyncGenerator<TraceEvent, void> {
  const { config } = rt.ctx;
  if (config.kind !== 'beam') throw new Error(`beamSearch got a ${config.kind} config`);
  yield* beamSearchLoop(rt, {
    n: config.n,
    beamWidth: config.beamWidth,
    maxRounds: config.maxRounds,
    generations: config.n,
    scorer: prmScorer,
  });
}
