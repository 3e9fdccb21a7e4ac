import { useAppStore } from '../../store/react';
import type { TraceNode } from '../../engine/trace/events';
import type { StrategyKind } from '../../engine/types';
import { formatCompact, formatScore } from '../../views/shared/format';

const KIND_LABELS: Record<TraceNode['kind'], string> = {
  root: 'Question',
  step: 'Step',
  answer: 'Final-answer step',
  attempt: 'Attempt',
};

const SOURCE_LABELS: Record<string, string> = {
  prm: 'learned PRM',
  oracle: 'oracle checker',
  judge: 'judge',
  lookahead: 'PRM after lookahead rollout',
};

function Verdict({ correct }: { correct: boolean }) {
  return correct ? (
    <span className="verdict correct">✓ correct</span>
  ) : (
    <span className="verdict incorrect">✗ incorrect</span>
  );
}

/**
 * Where a node sits, in the words of the view that shows it: rounds as the tree's columns name
 * them (from 0), samples, chains and attempts counted from 1 as their views do.
 */
export function nodePlace(node: TraceNode, strategy: StrategyKind | undefined): string {
  const parts: string[] = [];
  if (strategy === 'best-of-n') {
    if (node.lane !== undefined) parts.push(`sample ${node.lane + 1}`);
  } else if (strategy === 'revisions') {
    if (node.lane !== undefined) parts.push(`chain ${node.lane + 1}`);
    if (node.round !== undefined) parts.push(`attempt ${node.round + 1}`);
  } else {
    if (node.round !== undefined) parts.push(`round ${node.round}`);
    if (strategy === 'dvts' && node.lane !== undefined) parts.push(`subtree ${node.lane + 1}`);
  }
  return parts.map((p) => ` · ${p}`).join('');
}

function NodeDetails({ node, strategy }: { node: TraceNode; strategy: StrategyKind | undefined }) {
  return (
    <section aria-label="Selected node" className="inspector-node">
      <h3>
        {KIND_LABELS[node.kind]}
        {nodePlace(node, strategy)}
      </h3>
      <div className="node-status">
        Status: <strong>{node.status}</strong>
        {node.selected ? <span className="badge">on the selected path</span> : null}
      </div>
      {/* Model text is rendered as text (React escapes it), never as HTML. */}
      <pre className="node-text" data-testid="inspector-text">
        {node.text.length > 0 ? node.text : '(no text yet)'}
      </pre>
      {node.rollout ? (
        <>
          <div className="subhead">Lookahead rollout</div>
          <pre className="node-text rollout">{node.rollout}</pre>
        </>
      ) : null}
      <dl className="facts">
        <dt>Score</dt>
        <dd>
          {formatScore(node.score)}
          {node.scoreSource ? ` (${SOURCE_LABELS[node.scoreSource] ?? node.scoreSource})` : ''}
        </dd>
        <dt>Step scores</dt>
        <dd data-testid="inspector-step-scores">
          {node.stepScores && node.stepScores.length > 0
            ? node.stepScores.map((s) => formatScore(s)).join(' → ')
            : '–'}
        </dd>
        <dt>Tokens</dt>
        <dd>
          {node.tokens} here, {node.cumulativeTokens} on the path
        </dd>
        {node.answer !== undefined ? (
          <>
            <dt>Answer</dt>
            <dd>
              {node.answer ?? '(none)'}{' '}
              {node.correct !== undefined ? <Verdict correct={node.correct} /> : null}
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** The problem in words, the selected node in full, and the run's outcome and costs. */
export function Inspector() {
  const view = useAppStore((s) => s.view);
  const selectedNodeId = useAppStore((s) => s.selectedNodeId);
  const selectNode = useAppStore((s) => s.selectNode);
  const run = view.run;
  const node = selectedNodeId ? view.nodes[selectedNodeId] : undefined;

  return (
    <div className="inspector-body">
      <h2 className="panel-title">Inspector</h2>
      {run ? (
        <section aria-label="Problem" className="inspector-problem">
          <div className="subhead">Problem (level {run.problem.level})</div>
          <p className="problem-text" data-testid="problem-text">
            {run.problem.question}
          </p>
          <div className="muted">
            Reference answer: <strong>{run.problem.answer}</strong>
          </div>
        </section>
      ) : (
        <p className="muted">No run yet.</p>
      )}
      {node ? (
        <>
          <NodeDetails node={node} strategy={run?.strategy.kind} />
          <button type="button" className="link-button" onClick={() => selectNode(null)}>
            Clear selection
          </button>
        </>
      ) : selectedNodeId ? (
        <p className="muted">The selected node does not exist yet at this point of the playback.</p>
      ) : run ? (
        <p className="muted">Click a node (or lane) to see its full text and scores.</p>
      ) : null}
      {run ? (
        <section aria-label="Run summary" className="inspector-run">
          <div className="subhead">Run</div>
          <dl className="facts">
            <dt>Generator</dt>
            <dd>{run.model.label}</dd>
            <dt>Verifier</dt>
            <dd>{run.verifier ? run.verifier.label : 'none (majority vote)'}</dd>
            <dt>Generations</dt>
            <dd>{formatCompact(view.costs.generations)}</dd>
            <dt>Tokens</dt>
            <dd>
              {formatCompact(view.costs.generatedTokens)} generated,{' '}
              {formatCompact(view.costs.promptTokens)} prompt,{' '}
              {formatCompact(view.costs.verifierTokens)} verifier
            </dd>
            <dt>FLOPs</dt>
            <dd>{formatCompact(view.costs.flops)}</dd>
            {view.finished ? (
              <>
                <dt>Result</dt>
                <dd data-testid="final-answer">
                  {view.finished.status !== 'completed' ? `${view.finished.status}: ` : ''}
                  {view.finished.answer ?? 'no answer'}{' '}
                  {view.finished.status === 'completed' ? (
                    <Verdict correct={view.finished.correct} />
                  ) : null}
                </dd>
              </>
            ) : null}
          </dl>
          {view.finished?.error ? <p className="error-text">{view.finished.error}</p> : null}
        </section>
      ) : null}
    </div>
  );
}
