/**
 * Sequential revisions: chains of attempts side by side (one column per chain, attempts top to
 * bottom). Each attempt shows its steps with what changed from the previous attempt marked
 * (added steps highlighted with "+", dropped steps struck through with "−"), its answer, score
 * and correctness, and the attempt the run finally chose.
 */
import { useMemo } from 'react';
import type { TraceViewProps } from '../../app/viewProps';
import { ChosenBadge, EmptyView, QuestionLine, rootClass, VotePanel } from '../shared/Marks';
import { SolutionCard, SolutionResult } from '../shared/Solution';
import { useTyping } from '../shared/useTyping';
import { voteModel } from '../shared/votes';
import { finishedAttempts, revisionChains, type RevisionAttempt } from './model';
import '../views.css';

const CHANGE_GLYPH = { same: ' ', added: '+', removed: '−' } as const;
const CHANGE_WORD = { same: '', added: 'added: ', removed: 'removed: ' } as const;

function Attempt({
  attempt,
  selected,
  onSelect,
}: {
  attempt: RevisionAttempt;
  selected: boolean;
  onSelect(id: string): void;
}) {
  return (
    <SolutionCard
      itemClass="tv-attempt-item"
      classes={['tv-attempt', attempt.chosen && 'tv-attempt--chosen']}
      selected={selected}
      label={`Attempt ${attempt.index + 1}${attempt.isRevision ? `, ${attempt.addedCount} steps changed` : ''}${attempt.finished ? `, answer ${attempt.answer ?? 'none'}${attempt.correct ? ', correct' : ', wrong'}` : ''}${attempt.chosen ? ', chosen' : ''}`}
      onSelect={() => onSelect(attempt.id)}
    >
      <span className="tv-attempt-head">
        <span className="tv-attempt-num">Attempt {attempt.index + 1}</span>
        {attempt.isRevision ? (
          <span
            className="tv-muted"
            title="Steps added or rewritten / dropped since the previous attempt"
          >
            {attempt.addedCount === 0 && attempt.removedCount === 0
              ? 'unchanged'
              : `+${attempt.addedCount} −${attempt.removedCount}`}
          </span>
        ) : (
          <span className="tv-muted">first try</span>
        )}
      </span>
      <span className="tv-diff tv-mono">
        {attempt.lines.map((line, i) => (
          <span key={i} className={`tv-diff-line tv-diff-line--${line.change}`}>
            <span className="tv-diff-glyph" aria-hidden="true">
              {CHANGE_GLYPH[line.change]}
            </span>
            <span className="tv-sr">{CHANGE_WORD[line.change]}</span>
            <span className="tv-diff-text">{line.text}</span>
          </span>
        ))}
        {attempt.typing ? <span className="tv-caret" aria-hidden="true" /> : null}
      </span>
      <span className="tv-lane-foot">
        {attempt.finished ? (
          <SolutionResult
            answer={attempt.answer}
            score={attempt.score}
            correct={attempt.correct === true}
          />
        ) : (
          <span className="tv-muted">{attempt.typing ? 'writing…' : 'waiting'}</span>
        )}
        {attempt.chosen ? <ChosenBadge>final choice</ChosenBadge> : null}
      </span>
    </SolutionCard>
  );
}

/** Revision chains and the vote. Props: see TraceViewProps (src/app/viewProps.ts). */
export function RevisionsView({
  state,
  selectedNodeId,
  onSelectNode,
  presentation,
  revealFraction,
}: TraceViewProps) {
  const typing = useTyping(state);
  const chains = useMemo(
    () => revisionChains(state, typing, revealFraction),
    [state, typing, revealFraction],
  );
  const vote = useMemo(
    () =>
      voteModel(
        state,
        finishedAttempts(chains),
        chains.some((c) => c.attempts.some((a) => a.finished && a.score !== null)),
      ),
    [state, chains],
  );
  if (chains.length === 0) {
    return (
      <section className={rootClass(presentation, 'tv-rev')} aria-label="Revision chains">
        <EmptyView>No attempts yet. Start a run to see each chain revise its answer.</EmptyView>
      </section>
    );
  }
  const attempts = chains.reduce((s, c) => s + c.attempts.length, 0);
  const many = chains.length > 4;
  return (
    <section className={rootClass(presentation, 'tv-rev')} aria-label="Revision chains and vote">
      <header className="tv-head">
        <h3 className="tv-title">
          {chains.length} {chains.length === 1 ? 'chain' : 'chains'} · {attempts} attempts
        </h3>
        <span className="tv-muted tv-diff-key">
          <span className="tv-diff-line--added tv-key-chip">+ changed step</span>
          <span className="tv-diff-line--removed tv-key-chip">− dropped step</span>
        </span>
      </header>
      <QuestionLine state={state} />
      <div className="tv-bon-body">
        <div
          className={`tv-chains${many ? ' tv-chains--many' : ''}`}
          role="list"
          aria-label="Chains"
        >
          {chains.map((chain) => (
            <section
              key={chain.chain}
              className="tv-chain"
              role="listitem"
              aria-label={`Chain ${chain.chain + 1}`}
            >
              <h4 className="tv-chain-title">Chain {chain.chain + 1}</h4>
              <ol className="tv-attempts">
                {chain.attempts.map((a) => (
                  <Attempt
                    key={a.id}
                    attempt={a}
                    selected={selectedNodeId === a.id}
                    onSelect={onSelectNode}
                  />
                ))}
              </ol>
            </section>
          ))}
        </div>
        <VotePanel vote={vote} />
      </div>
    </section>
  );
}
