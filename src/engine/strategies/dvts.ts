/**
 * Diverse verifier tree search (DVTS): N/M independent subtrees, so that one strong early step
 * cannot take over the whole budget as it can in beam search. Round 0 samples N first steps, M
 * per subtree; each round every live subtree keeps its best-scored child (greedy in the PRM) and
 * expands it M ways, until its kept child finishes or maxRounds rounds have passed (then it
 * finishes with reason 'max_rounds'). Cost: N generations.
 *
 * The answer is best-of-N weighted over the subtrees' results, one per subtree: the path each
 * subtree ended on. (The reference implementation, search-and-learn `dvts.py`, also passes each
 * subtree's last M siblings to the vote; here pruned siblings stay pruned.)
 */
import { bestOfNWeighted, type VoteCandidate } from '../aggregate';
import type { TraceEvent } from '../trace/events';
import { prmScorer, topK, type Candidate } from './beamSearch';
import { requireBeamSplit, selectedEvent, type PathState, type StrategyRuntime } from './common';

interface Subtree {
  leaf: PathState;
  leafScore: number;
  result: (VoteCandidate & { text: string }) | null;
}

/**
 * Runs DVTS for `rt.ctx` (config.kind 'dvts'). Nodes are kind 'step'/'answer' with `round` and
 * `lane` = subtree index. Needs a verifier.
 */
export async function* dvts(rt: StrategyRuntime): AsyncGenerator<TraceEvent, void> {
  const { config, verifier, task } = rt.ctx;
  if (config.kind !== 'dvts') throw new Error(`dvts got a ${config.kind} config`);
  requireBeamSplit(config.n, config.beamWidth, config.maxRounds);
  if (!verifier) throw new Error('dvts search needs a verifier (a PRM or the oracle)');
  const m = config.beamWidth;
  const subtrees: Subtree[] = Array.from({ length: config.n / m }, () => ({
    leaf: { nodeId: 'root', text: '' },
    leafScore: 0,
    result: null,
  }));

  for (let round = 0; round < config.maxRounds; round++) {
    const live = subtrees.flatMap((s, i) => (s.result ? [] : [i]));
    if (live.length === 0) break;
    const parents = live.flatMap((i) => Array.from({ length: m }, () => i));
    const completions = yield* rt.generate(
      parents.map((i) => rt.basePrompt + (subtrees[i] as Subtree).leaf.text),
      { generations: round === 0 ? config.n : 0, stop: [task.stepDelimiter] },
    );
    const candidates: Candidate[] = [];
    for (const [j, c] of completions.entries()) {
      const lane = parents[j] as number;
      const leaf = (subtrees[lane] as Subtree).leaf;
      const id = rt.nextNodeId();
      yield rt.nodeCreated(id, leaf.nodeId, rt.stepKind(c.text), { round, lane });
      yield rt.textAppended(id, c);
      candidates.push({
        nodeId: id,
        text: leaf.text + c.text,
        completion: c,
        finish: rt.stepFinish(c.text, c),
      });
    }
    const scores = yield* prmScorer(rt, candidates, round);

    const kept: string[] = [];
    const pruned: string[] = [];
    const finishedNow: Candidate[] = [];
    for (const [k, lane] of live.entries()) {
      const from = k * m;
      const best =
        from +
        (topK(
          scores.slice(from, from + m).map((s) => s.score),
          1,
        )[0] ?? 0);
      for (let j = from; j < from + m; j++)
        (j === best ? kept : pruned).push(candidates[j]?.nodeId as string);
      const winner = candidates[best] as Candidate;
      const subtree = subtrees[lane] as Subtree;
      subtree.leaf = winner;
      subtree.leafScore = scores[best]?.score ?? 0;
      if (winner.finish) {
        finishedNow.push(winner);
        subtree.result = {
          id: winner.nodeId,
          text: winner.text,
          score: subtree.leafScore,
          ...rt.grade(winner.text),
        };
      }
    }
    yield { type: 'kept', ids: kept, round };
    yield { type: 'pruned', ids: pruned, round };
    for (const w of finishedNow) yield rt.finished(w.nodeId, w.text, w.finish ?? 'answer');
  }

  for (const s of subtrees) {
    if (s.result) continue;
    yield rt.finished(s.leaf.nodeId, s.leaf.text, 'max_rounds');
    s.result = {
      id: s.leaf.nodeId,
      text: s.leaf.text,
      score: s.leafScore,
      ...rt.grade(s.leaf.text),
    };
  }
  const results = subtrees.flatMap((s) => (s.result ? [s.result] : []));
  yield selectedEvent('weighted', bestOfNWeighted(results));
}
