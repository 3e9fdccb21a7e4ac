import { useMemo } from 'react';
import { classifyWebLLMError } from '../../runtime/webllm/errors';
import { WebLLMErrorPanel } from '../../runtime/webllm/ui/WebLLMErrorPanel';
import { WebLLMSpeed } from '../../runtime/webllm/ui/WebLLMSpeed';
import { TINYMATH_MODELS } from '../../runtime/tinymath/names';
import { useAppStore } from '../../store/react';
import { useController } from '../controllerContext';
import { taskEntry } from '../tasks';
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

/** Whether the run on screen is (or was going to be) on a WebLLM model. */
function useRunOnWebLLM(): boolean {
  const first = useAppStore((s) => s.events[0]);
  const active = useAppStore((s) => s.activeModel.kind);
  if (first?.type === 'run_started') return first.model.id.startsWith('webllm:');
  return active === 'webllm';
}

/**
 * A run on a WebLLM model failed: say why in plain words (the error crossed two workers as a
 * string), with Try again and a way back to TinyMath.
 */
function WebLLMRunError() {
  const controller = useController();
  const runStatus = useAppStore((s) => s.runStatus);
  const runError = useAppStore((s) => s.runError);
  const source = useAppStore((s) => s.source);
  const onWebLLM = useRunOnWebLLM();
  const active = useAppStore((s) => s.activeModel);
  if (runStatus !== 'error' || !onWebLLM || source?.kind !== 'live') return null;
  return (
    <div className="stage-error">
      <WebLLMErrorPanel
        error={classifyWebLLMError(runError ?? 'unknown error', 'generate')}
        modelLabel={active.kind === 'webllm' ? active.info.label : null}
        onBackToTinyMath={() => controller.backToTinyMath()}
        {...(active.kind === 'webllm' ? { onRetry: () => controller.startRun() } : {})}
      />
    </div>
  );
}

/** The settings cannot run on the active model (a GSM8K link with only TinyMath loaded). */
function RunBlocked() {
  const reason = useAppStore((s) => s.runBlocked);
  const active = useAppStore((s) => s.activeModel.kind);
  const setPanelOpen = useAppStore((s) => s.setPanelOpen);
  const controller = useController();
  if (!reason) return null;
  return (
    <div className="run-blocked" data-testid="run-blocked">
      <p>{reason}</p>
      <div className="row">
        {active === 'tinymath' ? (
          <button type="button" onClick={() => setPanelOpen('webllm', true)}>
            Choose a WebLLM model
          </button>
        ) : (
          <button type="button" onClick={() => controller.backToTinyMath()}>
            Back to TinyMath
          </button>
        )}
      </div>
    </div>
  );
}

/** WebLLM's live prefill/decode speed while its model is the one runs use. */
function RunSpeed() {
  const active = useAppStore((s) => s.activeModel.kind);
  const speed = useAppStore((s) => s.webllmSpeed);
  return active === 'webllm' ? <WebLLMSpeed speed={speed} /> : null;
}

function StatusLine() {
  const runStatus = useAppStore((s) => s.runStatus);
  const runError = useAppStore((s) => s.runError);
  const runBlocked = useAppStore((s) => s.runBlocked);
  const model = useAppStore((s) => s.model);
  const activeKind = useAppStore((s) => s.activeModel.kind);
  const task = useAppStore((s) => s.settings.task);
  const taskData = useAppStore((s) => s.taskData[s.settings.task]);
  const source = useAppStore((s) => s.source);
  const playing = useAppStore((s) => s.playing);
  const atEnd = useAppStore((s) => s.position.cursor >= s.events.length);

  let text: string;
  if (runBlocked) {
    text = 'Not running.';
  } else if (runStatus === 'waiting' && taskData?.status === 'loading') {
    text = `Loading the ${taskEntry(task).shortLabel} problems…`;
  } else if (runStatus === 'waiting' && activeKind === 'tinymath' && model.status === 'loading') {
    text = `Loading the ${TINYMATH_MODELS}… ${Math.round(model.progress * 100)}%`;
  } else if (runStatus === 'waiting' && activeKind === 'tinymath' && model.status === 'error') {
    text = `The ${TINYMATH_MODELS} could not be loaded.`;
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
        <RunSpeed />
      </div>
      <RunBlocked />
      <WebLLMRunError />
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
