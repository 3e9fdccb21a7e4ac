/**
 * Best-of-N: N lanes of sampled solutions typing token by token, each ending in its answer,
 * verifier score and correctness mark, next to the vote per distinct answer.
 */
import { useMemo } from 'react';
import type { TraceViewProps } from '../../app/viewProps';
import { ChosenBadge, EmptyView, QuestionLine, rootClass, VotePanel } from '../shared/Marks';
import { SolutionCard, SolutionResult } from '../shared/Solution';
import { scoreColor } from '../shared/colors';
import { formatScore } from '../shared/format';
import { useTyping } from '../shared/useTyping';
import { bestOfNModel, type BestOfNLane } from './model';
import '../views.css';

/** Above this many lanes, lanes become one-line rows so N=64 fits a scrollable list. */
export const COMPACT_LANES_ABOVE = 12;

function LaneFooter({ lane, compact }: { lane: BestOfNLane; compact: boolean }) {
  if (!lane.finished) {
    return <span className="tv-lane-foot tv-muted">{lane.typing ? 'writing…' : 'waiting'}</span>;
  }
  return (
    <span className="tv-lane-foot">
      <SolutionResult
        answer={lane.answer}
        score={lane.score}
        correct={lane.correct}
        compact={compact}
        answerTitle="Final answer"
      />
      {lane.chosen ? <ChosenBadge /> : null}
    </span>
  );
}

/** One step of a solution, underlined in its step-score colour once the verifier scored it. */
function StepText({
  text,
  score,
  chip,
  caret,
}: {
  text: string;
  score: number | null;
  chip: boolean;
  caret: boolean;
}) {
  return (
    <span
      className={chip ? 'tv-step-chip' : 'tv-line tv-step-line'}
      style={score === null ? undefined : { borderColor: scoreColor(score) }}
      title={score === null ? undefined : `step score ${formatScore(score)}`}
    >
      {text}
      {caret ? <span className="tv-caret" aria-hidden="true" /> : null}
    </span>
  );
}

function Lane({
  lane,
  compact,
  selected,
  onSelect,
}: {
  lane: BestOfNLane;
  compact: boolean;
  selected: boolean;
  onSelect(id: string): void;
}) {
  return (
    <SolutionCard
      itemClass="tv-lane-item"
      classes={[
        'tv-lane',
        compact ? 'tv-lane--row' : 'tv-lane--card',
        lane.chosen && 'tv-lane--chosen',
        lane.agreesWithWinner && !lane.chosen && 'tv-lane--agrees',
      ]}
      selected={selected}
      label={`Sample ${lane.lane + 1}${lane.finished ? `, answer ${lane.answer ?? 'none'}${lane.correct === null ? '' : lane.correct ? ', correct' : ', wrong'}` : ', in progress'}${lane.chosen ? ', chosen' : ''}`}
      onSelect={() => onSelect(lane.lastId)}
    >
      <span className="tv-lane-head">
        <span className="tv-lane-num">#{lane.lane + 1}</span>
        {!compact && lane.tokens > 0 ? (
          <span className="tv-muted">{lane.tokens} tokens</span>
        ) : null}
      </span>
      {compact ? (
        <span className="tv-lane-inline tv-mono" title={lane.text}>
          {lane.steps.map((step, i) => (
            <StepText
              key={i}
              text={step.text}
              score={step.score}
              chip
              caret={lane.typing && i === lane.steps.length - 1}
            />
          ))}
        </span>
      ) : (
        <span className="tv-lane-text tv-mono">
          {lane.steps.map((step, i) => (
            <StepText
              key={i}
              text={step.text}
              score={step.score}
              chip={false}
              caret={lane.typing && i === lane.steps.length - 1}
            />
          ))}
          {lane.typing && lane.steps.length === 0 ? (
            <span className="tv-caret" aria-hidden="true" />
          ) : null}
        </span>
      )}
      <LaneFooter lane={lane} compact={compact} />
    </SolutionCard>
  );
}

/** Best-of-N lanes and vote. Props: see TraceViewProps (src/app/viewProps.ts). */
export function BestOfNView({
  state,
  selectedNodeId,
  onSelectNode,
  presentation,
  revealFraction,
}: TraceViewProps) {
  const typing = useTyping(state);
  const model = useMemo(
    () => bestOfNModel(state, typing, revealFraction),
    [state, typing, revealFraction],
  );
  if (model.lanes.length === 0) {
    return (
      <section className={rootClass(presentation, 'tv-bon')} aria-label="Best-of-N">
        <EmptyView>No samples yet. Start a run to see N solutions appear side by side.</EmptyView>
      </section>
    );
  }
  const compact = model.lanes.length > COMPACT_LANES_ABOVE;
  const correct = model.lanes.filter((l) => l.correct === true).length;
  return (
    <section className={rootClass(presentation, 'tv-bon')} aria-label="Best-of-N samples and vote">
      <header className="tv-head">
        <h3 className="tv-title">{model.lanes.length} samples</h3>
        <span className="tv-muted">
          {model.finishedCount}/{model.lanes.length} finished · {correct} correct
        </span>
        {state.selection ? (
          <span className="tv-muted tv-key">
            <span className="tv-key-agree" aria-hidden="true" /> same answer as the chosen one
          </span>
        ) : null}
        {model.lanes.some((l) => l.steps.some((st) => st.score !== null)) ? (
          <span className="tv-muted tv-key">
            <span className="tv-key-step" aria-hidden="true" /> step underline = step score
          </span>
        ) : null}
      </header>
      <QuestionLine state={state} />
      <div className="tv-bon-body">
        <ol
          className={`tv-lanes ${compact ? 'tv-lanes--rows' : 'tv-lanes--grid'}`}
          aria-label="Sampled solutions"
        >
          {model.lanes.map((lane) => (
            <Lane
              key={lane.lane}
              lane={lane}
              compact={compact}
              selected={selectedNodeId !== null && lane.nodeIds.includes(selectedNodeId)}
              onSelect={onSelectNode}
            />
          ))}
        </ol>
        <VotePanel vote={model.vote} />
      </div>
    </section>
  );
}
