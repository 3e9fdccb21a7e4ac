import { useEffect, useRef } from 'react';
import { useWebLLMSession } from '../../runtime/webllm/ui/useWebLLMSession';
import { WebLLMModelPicker } from '../../runtime/webllm/ui/ModelPicker';
import { useAppStore } from '../../store/react';
import { useController } from '../controllerContext';
import { taskEntry } from '../tasks';
import './webllmPanel.css';

export const WEBLLM_PANEL_ID = 'webllm-panel';

/**
 * The header button that opens the WebLLM panel, with a short status beside it, so a download
 * or a failure is visible while the panel is closed.
 */
export function WebLLMOpener() {
  const controller = useController();
  const open = useAppStore((s) => s.layout.webllmOpen);
  const togglePanel = useAppStore((s) => s.togglePanel);
  const session = useWebLLMSession(controller.webllm);
  let status: string | null = null;
  if (session.status === 'loading') status = `${Math.round(session.progress * 100)}%`;
  else if (session.status === 'error' && session.error.kind !== 'cancelled') status = 'failed';
  else if (session.status === 'ready') status = 'loaded';
  return (
    <span className="webllm-opener">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={open ? WEBLLM_PANEL_ID : undefined}
        onClick={() => togglePanel('webllm')}
      >
        Real models (WebLLM)
      </button>
      {status ? (
        <span
          className={`badge webllm-opener-status${session.status === 'error' ? ' failed' : ''}`}
          data-testid="webllm-opener-status"
        >
          {status}
        </span>
      ) : null}
    </span>
  );
}

/**
 * The WebLLM model picker in a panel over the inspector. The picker drives the page's one
 * WebLLMSession; the controller follows the session (a ready model becomes the model runs
 * use; anything else means TinyMath), so closing the panel mid-download loses nothing.
 */
export function WebLLMPanel() {
  const controller = useController();
  const open = useAppStore((s) => s.layout.webllmOpen);
  const setPanelOpen = useAppStore((s) => s.setPanelOpen);
  const settings = useAppStore((s) => s.settings);
  const speed = useAppStore((s) => s.webllmSpeed);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    if (open) panel.current?.focus();
  }, [open]);
  if (!open) return null;
  const caps = taskEntry(settings.task).tokenCaps(settings.level);
  const samples =
    settings.strategy === 'lookahead' ? settings.n * (settings.lookahead + 1) : settings.n;
  return (
    <aside
      id={WEBLLM_PANEL_ID}
      ref={panel}
      tabIndex={-1}
      className="webllm-panel"
      aria-label="Real models (WebLLM)"
      onKeyDown={(e) => {
        if (e.key === 'Escape') setPanelOpen('webllm', false);
      }}
    >
      <button
        type="button"
        className="webllm-panel-close"
        aria-label="Close the real models panel"
        title="Close"
        onClick={() => setPanelOpen('webllm', false)}
      >
        ✕
      </button>
      <WebLLMModelPicker
        session={controller.webllm}
        onReady={(info) => controller.switchToWebLLM(info)}
        onBackToTinyMath={() => controller.switchToTinyMath()}
        samples={samples}
        maxTokens={caps.solution}
        speed={speed}
      />
      <section className="webllm-panel-notes" aria-label="How WebLLM models are used">
        <h3>What runs on a WebLLM model</h3>
        <ul>
          <li>
            <strong>Tasks:</strong> GSM8K and MATH-500. TinyMath&apos;s arithmetic stays with
            TinyMath: its compact format (&quot;Q:37,+45,*2&quot;) means nothing to a chat model,
            and a chat prompt means nothing to TinyMath.
          </li>
          <li>
            <strong>Learned verifier:</strong> the loaded model itself, asked whether each step is
            correct (LLM-as-judge PRM, score = P(yes) / (P(yes) + P(no))). TinyMath&apos;s PRM only
            knows arithmetic.
          </li>
          <li>
            <strong>Oracle:</strong> the final answer compared with the reference. It is ground
            truth, shown as an upper bound only; no real verifier knows it.
          </li>
          <li>
            <strong>Cost:</strong> samples run one after another (no batching), so a budget of N
            takes N times as long as one sample.
          </li>
        </ul>
      </section>
    </aside>
  );
}
