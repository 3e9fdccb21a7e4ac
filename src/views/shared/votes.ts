/**
 * The vote table as bars: the `selected` event's votes when the run has chosen, otherwise a
 * provisional tally of the solutions finished so far, computed with the run's own rule
 * (src/engine/aggregate), so the bars grow as playback advances.
 */
import { selectAnswer, type VoteCandidate } from '../../engine/aggregate';
import type { TraceState, VoteEntry } from '../../engine/trace/events';

export type VoteMethod = 'naive' | 'majority' | 'weighted';

export interface VoteBar extends VoteEntry {
  /** Display label: the answer, or "(no answer)". */
  label: string;
  /** weight / largest weight, in [0, 1]: the bar's length. */
  share: number;
  /** The chosen answer (or, while provisional, the current leader). */
  winner: boolean;
}

export interface VoteModel {
  method: VoteMethod;
  /** True while no `selected` event arrived: the tally is computed here from finished solutions. */
  provisional: boolean;
  /** Bars shown (at most `maxBars`), winner first. */
  bars: VoteBar[];
  /** Why the bars use another rule than the run's (before any score arrived), or null. */
  note: string | null;
  /** Distinct answers left out of `bars`, and how many solutions gave them. */
  hiddenAnswers: number;
  hiddenCount: number;
}

/**
 * Selection rule of the run: the chosen event's method; else the best-of-N setting; majority
 * without a verifier; a verifier-weighted vote otherwise (revisions' 'verifier', search).
 */
export function voteMethodOf(state: TraceState): VoteMethod {
  if (state.selection) return state.selection.method;
  const run = state.run;
  if (!run || run.verifier === null) return 'majority';
  if (run.strategy.kind === 'best-of-n') return run.strategy.selection;
  if (run.strategy.kind === 'revisions' && run.strategy.selection === 'majority') return 'majority';
  return 'weighted';
}

/** What each method's bar length means, for the panel title. */
export const VOTE_METHOD_LABELS: Record<VoteMethod, string> = {
  naive: 'Naive best-of-N: highest score',
  majority: 'Majority vote: count',
  weighted: 'Weighted vote: sum of scores',
};

/**
 * Bars for the vote panel.
 * @param state trace state at the cursor
 * @param finished the solutions finished so far (used only before the `selected` event)
 * @param anyScored whether any of them has a verifier score yet; until then a score-based rule
 *   would give every answer weight 0, so the tally counts solutions instead (and says so)
 * @param maxBars most bars to list; the rest are summarised
 */
export function voteModel(
  state: TraceState,
  finished: readonly VoteCandidate[],
  anyScored: boolean,
  maxBars = 12,
): VoteModel {
  const runMethod = voteMethodOf(state);
  const provisional = state.selection === null;
  const countInstead = provisional && runMethod !== 'majority' && !anyScored && finished.length > 0;
  const method: VoteMethod = countInstead ? 'majority' : runMethod;
  const entries: VoteEntry[] = state.selection
    ? state.selection.votes
    : selectAnswer(finished, method).votes;
  const maxWeight = entries.reduce((m, e) => Math.max(m, e.weight), 0);
  const winnerAnswer = state.selection?.answer ?? null;
  const bars: VoteBar[] = entries.map((e, i) => ({
    ...e,
    label: e.answer === '' ? '(no answer)' : e.answer,
    share: maxWeight > 0 ? e.weight / maxWeight : 0,
    // selectAnswer lists the leader first; an answerless group never leads.
    winner: provisional
      ? i === 0 && e.answer !== ''
      : winnerAnswer !== null && e.answer === winnerAnswer,
  }));
  const shown = bars.slice(0, Math.max(1, maxBars));
  const hidden = bars.slice(shown.length);
  return {
    method,
    provisional,
    note: countInstead ? 'Counting answers until the verifier has scored them' : null,
    bars: shown,
    hiddenAnswers: hidden.length,
    hiddenCount: hidden.reduce((s, b) => s + b.count, 0),
  };
}
