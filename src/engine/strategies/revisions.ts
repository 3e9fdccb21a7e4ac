/**
 * Sequential revisions (the paper's revision model, used sequentially): C parallel chains of
 * length L = N / C. Attempt j of a chain is prompted with the question and the chain's last (at
 * most 4) attempts, and writes a new complete solution. Rounds run in lockstep, one batched call
 * across all chains per round. Cost: N generations.
 */
import { bestOfNWeighted, majorityVote, type VoteCandidate } from '../aggregate';
import type { TraceEvent } from '../trace/events';
import { requirePowerOfTwo, selectedEvent, type StrategyRuntime } from './common';

/** Most earlier attempts a revision prompt holds (the paper's context of 4). */
export const MAX_PREVIOUS_ATTEMPTS = 4;

/**
 * Split a budget into parallel chains x chain length.
 * @param n Generation budget, a power of two.
 * @param chains Parallel chains, a power of two not above n.
 * @returns { chains, length } with chains x length = n.
 */
export function revisionSplit(n: number, chains: number): { chains: number; length: number } {
  requirePowerOfTwo('n', n);
  requirePowerOfTwo('chains', chains);
  if (chains > n) throw new Error(`chains (${chains}) cannot exceed the budget n (${n})`);
  return { chains, length: n / chains };
}

interface Chain {
  attempts: string[];
  candidates: VoteCandidate[];
  lastId: string;
}

/**
 * Runs sequential revisions for `rt.ctx` (config.kind 'revisions'). Attempts are nodes of kind
 * 'attempt' (lane = chain, round = attempt index); each attempt's parent is the chain's previous
 * attempt, so a chain reads as a path from the root.
 *
 * Selection 'verifier' (needs a verifier): best-of-N weighted within each chain, then a weighted
 * vote across chains, in which each chain's winner counts with its own score; the selected event's
 * table is that cross-chain vote. Selection 'majority', or no verifier: majority vote over all
 * attempts.
 */
export async function* sequentialRevisions(rt: StrategyRuntime): AsyncGenerator<TraceEvent, void> {
  const { config, verifier, task, problem } = rt.ctx;
  if (config.kind !== 'revisions')
    throw new Error(`sequentialRevisions got a ${config.kind} config`);
  const { chains, length } = revisionSplit(config.n, config.chains);

  const state: Chain[] = Array.from({ length: chains }, () => ({
    attempts: [],
    candidates: [],
    lastId: 'root',
  }));

  for (let round = 0; round < length; round++) {
    const ids: string[] = [];
    for (const [lane, chain] of state.entries()) {
      const id = rt.nextNodeId();
      ids.push(id);
      yield rt.nodeCreated(id, chain.lastId, 'attempt', { round, lane });
    }
    const prompts = state.map((chain) =>
      task.formatPrompt(problem, chain.attempts.slice(-MAX_PREVIOUS_ATTEMPTS)),
    );
    const completions = yield* rt.generate(prompts, { generations: chains, endAtFinalStep: true });
    for (const [lane, c] of completions.entries()) {
      const id = ids[lane] as string;
      yield rt.textAppended(id, c);
      yield rt.finished(id, c.text, rt.solutionFinish(c.text, c));
    }
    const texts = completions.map((c) => c.text);
    const scores = texts.map(() => 0);
    if (verifier) {
      const results = yield* rt.score(texts);
      for (const [lane, r] of results.entries()) {
        const score = rt.aggregate(r.stepScores);
        scores[lane] = score;
        yield {
          type: 'scored',
          id: ids[lane] as string,
          score,
          stepScores: r.stepScores,
          source: verifier.kind,
        };
      }
    }
    for (const [lane, chain] of state.entries()) {
      const text = texts[lane] ?? '';
      const id = ids[lane] as string;
      chain.attempts.push(text);
      chain.candidates.push({ id, score: scores[lane] ?? 0, ...rt.grade(text) });
      chain.lastId = id;
    }
  }

  if (verifier && config.selection === 'verifier') {
    const chainWinners: VoteCandidate[] = [];
    for (const chain of state) {
      const w = bestOfNWeighted(chain.candidates).winner;
      if (w) chainWinners.push(w);
    }
    yield selectedEvent('weighted', bestOfNWeighted(chainWinners));
  } else {
    yield selectedEvent('majority', majorityVote(state.flatMap((c) => c.candidates)));
  }
}
