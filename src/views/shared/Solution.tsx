/** A selectable solution card and its result line, shared by the best-of-N and revisions views. */
import type { ReactNode } from 'react';
import { CorrectMark, ScoreChip } from './Marks';

/**
 * One solution as a list item holding a toggle button that selects it.
 * `classes` that are false or empty are dropped; "tv-selected" is added last while selected.
 */
export function SolutionCard({
  itemClass,
  classes,
  selected,
  label,
  onSelect,
  children,
}: {
  itemClass: string;
  classes: readonly (string | false)[];
  selected: boolean;
  label: string;
  onSelect(): void;
  children: ReactNode;
}) {
  const cls = [...classes, selected ? 'tv-selected' : ''].filter(Boolean).join(' ');
  return (
    <li className={itemClass}>
      <button
        type="button"
        className={cls}
        aria-pressed={selected}
        aria-label={label}
        onClick={onSelect}
      >
        {children}
      </button>
    </li>
  );
}

/**
 * A finished solution's answer ("A: …" or "no answer"), score chip and correctness mark.
 * `correct` null shows no mark; `answerTitle` is the answer's tooltip, if any.
 */
export function SolutionResult({
  answer,
  score,
  correct,
  compact = false,
  answerTitle,
}: {
  answer: string | null;
  score: number | null;
  correct: boolean | null;
  compact?: boolean;
  answerTitle?: string;
}) {
  return (
    <>
      <span className="tv-answer tv-mono" title={answerTitle}>
        {answer === null ? <span className="tv-muted">no answer</span> : `A: ${answer}`}
      </span>
      <ScoreChip score={score} />
      {correct !== null ? <CorrectMark correct={correct} compact={compact} /> : null}
    </>
  );
}
