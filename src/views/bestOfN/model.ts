/**
 * What the best-of-N view shows, computed from the trace state: one lane per sampled solution and
 * the vote. Pure, so the lane grouping and the provisional tally are tested without rendering.
 */
import type { VoteCandidate } from '../../engine/aggregate';
import type { FinishReason, TraceNode, TraceState } from '../../engine/trace/events';
import { voteModel, type VoteModel } from '../shared/votes';
import { revealedText, type TypingTarget } from '../shared/typing';

export interface LaneStep {
  text: string;
  /** The verifier's score for this step (null before scoring, or if the counts disagree). */
  score: number | null;
}

/**
 * Pair a solution's steps with its per-step scores. The verifier scored the task's steps
 * (non-empty lines), so scores are matched to non-empty lines in order; if the counts differ
 * (a partial text, another step format) no step gets a score rather than a wrong one.
 * @param text the solution text shown
 * @param stepScores the `scored` event's per-step scores, if any
 */
export function stepsWithScores(
  text: string,
  stepScores: readonly number[] | undefined,
): LaneStep[] {
  const steps = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const match = stepScores !== undefined && stepScores.length === steps.length;
  return steps.map((t, i) => ({ text: t, score: match ? (stepScores[i] ?? null) : null }));
}

export interface BestOfNLane {
  /** Lane number (the solution's index among the N samples). */
  lane: number;
  /** Nodes of this lane, in creation order. */
  nodeIds: string[];
  /** The node that ends the lane: clicking the lane selects it. */
  lastId: string;
  /** The lane's text so far (the typed part of the newest text only). */
  text: string;
  /** The text's steps, each with the verifier's step score once the lane is scored. */
  steps: LaneStep[];
  /** Whether the lane's newest text is still being typed. */
  typing: boolean;
  tokens: number;
  finished: boolean;
  /** Final answer once finished (null: the solution has none). */
  answer: string | null;
  correct: boolean | null;
  finishReason: FinishReason | null;
  /** Aggregated verifier score of the solution, once scored. */
  score: number | null;
  /** The solution that the selection rule picked (its representative). */
  chosen: boolean;
  /** The lane's answer equals the winning answer (it voted for the winner). */
  agreesWithWinner: boolean;
}

export interface BestOfNModel {
  lanes: BestOfNLane[];
  /** Number of lanes that finished. */
  finishedCount: number;
  vote: VoteModel;
}

/**
 * Group a best-of-N trace into lanes and bars.
 * @param state trace state at the playback cursor
 * @param typing the node being typed (see useTyping), or null
 * @param revealFraction 0..1 share of the newest text shown
 * @param maxBars most vote bars to show; the rest are summarised
 */
export function bestOfNModel(
  state: TraceState,
  typing: TypingTarget | null,
  revealFraction: number,
  maxBars = 12,
): BestOfNModel {
  const byLane = new Map<number, TraceNode[]>();
  const laneOf = new Map<string, number>();
  let nextFreeLane = 0;
  for (const id of state.order) {
    const node = state.nodes[id];
    if (!node || node.kind === 'root') continue;
    // A node without a lane number continues its parent's lane, or opens the next free one.
    const lane = node.lane ?? laneOf.get(node.parent ?? '') ?? nextFreeLane;
    nextFreeLane = Math.max(nextFreeLane, lane + 1);
    laneOf.set(id, lane);
    const list = byLane.get(lane);
    if (list) list.push(node);
    else byLane.set(lane, [node]);
  }

  const chosenId = state.selection?.id ?? null;
  const winnerAnswer = state.selection?.answer ?? null;
  const lanes: BestOfNLane[] = [...byLane.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([lane, nodes]) => {
      const last = nodes[nodes.length - 1] as TraceNode;
      const finishedNode = [...nodes].reverse().find((n) => n.finishReason !== undefined);
      const scoredNode = [...nodes].reverse().find((n) => n.score !== undefined);
      const answer = finishedNode ? (finishedNode.answer ?? null) : null;
      const text = nodes.map((n) => revealedText(n, typing, revealFraction)).join('');
      return {
        lane,
        nodeIds: nodes.map((n) => n.id),
        lastId: last.id,
        text,
        steps: stepsWithScores(text, scoredNode?.stepScores),
        typing: typing !== null && revealFraction < 1 && nodes.some((n) => n.id === typing.id),
        tokens: nodes.reduce((s, n) => s + n.tokens, 0),
        finished: finishedNode !== undefined,
        answer,
        correct: finishedNode ? (finishedNode.correct ?? false) : null,
        finishReason: finishedNode?.finishReason ?? null,
        score: scoredNode?.score ?? null,
        chosen: chosenId !== null && nodes.some((n) => n.id === chosenId),
        agreesWithWinner:
          winnerAnswer !== null && finishedNode !== undefined && (answer ?? '') === winnerAnswer,
      };
    });

  const finished: VoteCandidate[] = lanes
    .filter((l) => l.finished)
    .map((l) => ({
      id: l.lastId,
      answer: l.answer,
      score: l.score ?? 0,
      correct: l.correct ?? false,
    }));
  return {
    lanes,
    finishedCount: finished.length,
    vote: voteModel(
      state,
      finished,
      lanes.some((l) => l.finished && l.score !== null),
      maxBars,
    ),
  };
}
