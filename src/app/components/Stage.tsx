import { useMemo } from 'react';
import { useAppStore } from '../../store/react';
import { revealFractionOf } from '../../store/playback';
import { STRATEGIES } from '../../store/settings';
import type { StrategyKind } from '../../engine/types';
import { viewForStrategy } from '../../views';

/** The stage's data-view attribute per strategy: which family of view is on screen (tests read it). */
const VIEW_IDS: Record<StrategyKind, string> = {
  'best-of-n': 'best-of-n',
  revisions: 'revisions',
  beam: 'beam-tree',
  lookahead: 'beam-tree',
  dvts: 'beam-tree',
};

function StatusLine() {
  const runStatus = useAppStore((s) => s.runStatus);
  const runError = useAppStore((s) => s.runError);
  const model = useAppStore((s) => s.model);
  const source = useAppStore((s) => s.source);
  const playing = useAppStore((s) => s.playing);
  const atEnd = useAppStore((s) => s.position.cursor >= s.events.length);

  let text: string;
  if (runStatus === 'waiting' && model.status === 'loading') {
    text = `Loading TinyMath… ${Math.round(model.progress * 100)}%`;
  } else if (runStatus === 'waiting' && model.status === 'error') {
    text = 'The model could not be loaded.';
  } else if (runStatus === 'waiting') {
    text = 'Starting the run…';
  } else if (runStatus === 'running') {
    text = playing ? 'Running… (playback follows the run)' : 'Running… (paused)';
  } else if (runStatus === 'error') {
    text = `The run failed: ${runError ?? 'unknown error'}`;
  } else if (runStatus === 'cancelled') {
    text = 'Run stopped; its trace so far can be played.';
  } else if (runStatus === 'completed') {
    text = atEnd ? 'Finished.' : playing ? 'Run finished; replaying its trace.' : 'Paused.';
  } else {
    text = '';
  }
  return (
    <div
      className="stage-status"
      role="status"
      data-testid="run-status"
      data-status={runStatus}
      data-trace={source ? (source.kind === 'live' ? source.runId : `file:${source.name}`) : ''}
      data-at-end={atEnd && runStatus !== 'running' && runStatus !== 'waiting' ? 'true' : 'false'}
    >
      {source?.kind === 'file' ? <span className="badge">file: {source.name}</span> : null} {text}
    </div>
  );
}

/** The main stage: the view for the trace's strategy (the trace's own, so imported files show right). */
export function Stage() {
  const view = useAppStore((s) => s.view);
  const events = useAppStore((s) => s.events);
  const position = useAppStore((s) => s.position);
  const selectedNodeId = useAppStore((s) => s.selectedNodeId);
  const selectNode = useAppStore((s) => s.selectNode);
  const presentation = useAppStore((s) => s.settings.presentation);
  const settingsStrategy = useAppStore((s) => s.settings.strategy);
  const first = events[0];
  const kind: StrategyKind = first?.type === 'run_started' ? first.strategy.kind : settingsStrategy;
  const View = viewForStrategy(kind);
  const revealFraction = useMemo(() => revealFractionOf(position, events), [position, events]);
  const label = STRATEGIES.find((s) => s.kind === kind)?.label ?? kind;

  return (
    <section className="stage" aria-label="Main stage" data-view={VIEW_IDS[kind]}>
      <div className="stage-header">
        <h2 className="visually-hidden">Main stage: {label}</h2>
        <StatusLine />
      </div>
      <div className="stage-body">
        <View
          state={view}
          selectedNodeId={selectedNodeId}
          onSelectNode={selectNode}
          presentation={presentation}
          revealFraction={revealFraction}
        />
      </div>
    </section>
  );
}
