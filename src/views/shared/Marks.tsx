/** Small shared pieces of the trace views: correctness marks, score chips, the vote panel. */
import type { ReactNode } from 'react';
import { scoreColor } from './colors';
import { formatScore } from './format';
import { VOTE_METHOD_LABELS, type VoteModel } from './votes';

/**
 * Correct/incorrect mark: an icon AND a word, so it never relies on colour alone.
 * `compact` keeps the icon and moves the word into the accessible name only.
 */
export function CorrectMark({ correct, compact = false }: { correct: boolean; compact?: boolean }) {
  const word = correct ? 'correct' : 'wrong';
  return (
    <span
      className={`tv-mark ${correct ? 'tv-mark--ok' : 'tv-mark--bad'}`}
      title={correct ? 'Correct answer' : 'Wrong answer'}
    >
      <span aria-hidden="true">{correct ? '✓' : '✗'}</span>
      {compact ? <span className="tv-sr">{word}</span> : <span>{word}</span>}
    </span>
  );
}

/** A verifier score as a number next to a swatch of its colour on the score scale. */
export function ScoreChip({ score, label = 'score' }: { score: number | null; label?: string }) {
  return (
    <span className="tv-score" title={`${label}: ${formatScore(score)}`}>
      <span
        className="tv-score-swatch"
        aria-hidden="true"
        style={{ background: score === null ? 'transparent' : scoreColor(score) }}
      />
      <span className="tv-sr">{label} </span>
      {formatScore(score)}
    </span>
  );
}

/** "★ chosen" badge for the answer the run picked (a glyph and a word, not only a colour). */
export function ChosenBadge({ children = 'chosen' }: { children?: ReactNode }) {
  return (
    <span className="tv-badge">
      <span aria-hidden="true">★ </span>
      {children}
    </span>
  );
}

const VOTE_WEIGHT_WORDS: Record<VoteModel['method'], string> = {
  naive: 'best score',
  majority: 'count',
  weighted: 'sum of scores',
};

function formatWeight(weight: number, method: VoteModel['method']): string {
  return method === 'majority' ? String(Math.round(weight)) : weight.toFixed(2);
}

/** The vote as one horizontal bar per distinct answer, winner highlighted. */
export function VotePanel({ vote }: { vote: VoteModel }) {
  return (
    <section className="tv-vote" aria-label="Vote per answer">
      <h4 className="tv-vote-title">
        {VOTE_METHOD_LABELS[vote.method]}
        {vote.provisional && vote.bars.length > 0 ? (
          <span className="tv-muted"> · tally so far</span>
        ) : null}
      </h4>
      {vote.note ? <p className="tv-muted">{vote.note}</p> : null}
      {vote.bars.length === 0 ? (
        <p className="tv-muted">No finished solutions yet.</p>
      ) : (
        <ol className="tv-vote-list">
          {vote.bars.map((bar) => (
            <li
              key={bar.answer}
              className={`tv-vote-row${bar.winner ? ' tv-vote-row--winner' : ''}`}
              aria-label={`Answer ${bar.label}: ${bar.count} solutions, weight ${formatWeight(bar.weight, vote.method)}, ${bar.correct ? 'correct' : 'wrong'}${bar.winner ? (vote.provisional ? ', leading' : ', chosen') : ''}`}
            >
              <span className="tv-vote-star" aria-hidden="true">
                {bar.winner ? '★' : ''}
              </span>
              <span className="tv-vote-answer tv-mono">{bar.label}</span>
              <span className="tv-vote-track" aria-hidden="true">
                <span
                  className="tv-vote-fill"
                  style={{ width: `${Math.max(2, bar.share * 100)}%` }}
                />
              </span>
              <span className="tv-vote-num">
                {formatWeight(bar.weight, vote.method)}
                <span className="tv-muted"> · {bar.count}×</span>
              </span>
              <CorrectMark correct={bar.correct} compact />
            </li>
          ))}
        </ol>
      )}
      {vote.bars.some((b) => b.winner) ? (
        <p className="tv-muted tv-vote-key">
          ★ {vote.provisional ? 'leading so far' : 'chosen answer'} · bar ={' '}
          {VOTE_WEIGHT_WORDS[vote.method]} · n× = solutions
        </p>
      ) : null}
      {vote.hiddenAnswers > 0 ? (
        <p className="tv-muted">
          + {vote.hiddenAnswers} more answers ({vote.hiddenCount} solutions)
        </p>
      ) : null}
    </section>
  );
}

/** The problem being solved, as people read it. */
export function QuestionLine({
  state,
}: {
  state: { run: { problem: { question: string } } | null };
}) {
  if (!state.run) return null;
  return (
    <p className="tv-question">
      <span className="tv-muted">Problem: </span>
      {state.run.problem.question}
    </p>
  );
}

/** An empty state for views with no run yet. */
export function EmptyView({ children }: { children: ReactNode }) {
  return <p className="tv-empty">{children}</p>;
}

/** Class names of a view's root element. */
export function rootClass(presentation: boolean, ...names: string[]): string {
  return ['tv-root', presentation ? 'tv-presentation' : '', ...names].filter(Boolean).join(' ');
}
