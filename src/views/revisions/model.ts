/**
 * What the revisions view shows: chains of attempts side by side (lane = chain, round = attempt
 * index), each attempt's steps diffed against the attempt before it in the same chain.
 */
import type { VoteCandidate } from '../../engine/aggregate';
import type { TraceNode, TraceState } from '../../engine/trace/events';
import { revealedText, type TypingTarget } from '../shared/typing';
import { diffSteps, stepsOf, type DiffLine } from './diff';

export interface RevisionAttempt {
  /** The attempt node (clicking the attempt selects it). */
  id: string;
  /** Attempt index within the chain (0 = first try). */
  index: number;
  /** Steps of this attempt, marked against the previous attempt (all 'same' for the first). */
  lines: DiffLine[];
  /** Whether there is a previous attempt to compare with. */
  isRevision: boolean;
  addedCount: number;
  removedCount: number;
  typing: boolean;
  finished: boolean;
  answer: string | null;
  correct: boolean | null;
  score: number | null;
  tokens: number;
  /** The attempt whose answer the run finally chose. */
  chosen: boolean;
}

export interface RevisionChain {
  /** Chain number (the node's lane). */
  chain: number;
  attempts: RevisionAttempt[];
}

/**
 * Chains and their attempts, from the trace state.
 * Attempt nodes are the nodes of kind 'attempt'; text of any non-attempt descendants (should a
 * strategy emit an attempt's steps as child nodes) counts as part of the nearest attempt.
 * @param state trace state at the playback cursor
 * @param typing the node being typed, or null
 * @param revealFraction 0..1 share of the newest text shown
 */
export function revisionChains(
  state: TraceState,
  typing: TypingTarget | null,
  revealFraction: number,
): RevisionChain[] {
  const attemptOf = new Map<string, string>();
  const parts = new Map<string, TraceNode[]>();
  const attempts: TraceNode[] = [];
  for (const id of state.order) {
    const node = state.nodes[id];
    if (!node || node.kind === 'root') continue;
    const owner = node.kind === 'attempt' ? id : attemptOf.get(node.parent ?? '');
    if (owner === undefined) continue;
    attemptOf.set(id, owner);
    if (owner === id) {
      attempts.push(node);
      parts.set(id, [node]);
    } else {
      parts.get(owner)?.push(node);
    }
  }

  const chosenId = state.selection?.id ?? null;
  const byChain = new Map<number, TraceNode[]>();
  for (const a of attempts) {
    const chain = a.lane ?? 0;
    const list = byChain.get(chain);
    if (list) list.push(a);
    else byChain.set(chain, [a]);
  }

  return [...byChain.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([chain, nodes]) => {
      // Attempt order is the round; creation order breaks ties (and covers missing rounds).
      const ordered = nodes
        .map((n, i) => ({ n, i }))
        .sort((x, y) => (x.n.round ?? x.i) - (y.n.round ?? y.i) || x.i - y.i)
        .map((e) => e.n);
      let previousSteps: string[] | null = null;
      const out: RevisionAttempt[] = ordered.map((attempt, i) => {
        const own = parts.get(attempt.id) ?? [attempt];
        const text = own.map((n) => revealedText(n, typing, revealFraction)).join('');
        const steps = stepsOf(text);
        const lines: DiffLine[] =
          previousSteps === null
            ? steps.map((t) => ({ text: t, change: 'same' as const }))
            : diffSteps(previousSteps, steps);
        const isRevision = previousSteps !== null;
        previousSteps = stepsOf(own.map((n) => n.text).join(''));
        const finishedNode = [...own].reverse().find((n) => n.finishReason !== undefined);
        const scoredNode = [...own].reverse().find((n) => n.score !== undefined);
        return {
          id: attempt.id,
          index: attempt.round ?? i,
          lines,
          isRevision,
          addedCount: lines.filter((l) => l.change === 'added').length,
          removedCount: lines.filter((l) => l.change === 'removed').length,
          typing: typing !== null && revealFraction < 1 && own.some((n) => n.id === typing.id),
          finished: finishedNode !== undefined,
          answer: finishedNode ? (finishedNode.answer ?? null) : null,
          correct: finishedNode ? (finishedNode.correct ?? false) : null,
          score: scoredNode?.score ?? null,
          tokens: own.reduce((s, n) => s + n.tokens, 0),
          chosen: chosenId !== null && own.some((n) => n.id === chosenId),
        };
      });
      return { chain, attempts: out };
    });
}

/**
 * Finished attempts as vote candidates (for the provisional tally before the run chooses).
 * @param chains result of revisionChains
 */
export function finishedAttempts(chains: readonly RevisionChain[]): VoteCandidate[] {
  return chains.flatMap((c) =>
    c.attempts
      .filter((a) => a.finished)
      .map((a) => ({
        id: a.id,
        answer: a.answer,
        score: a.score ?? 0,
        correct: a.correct ?? false,
      })),
  );
}
