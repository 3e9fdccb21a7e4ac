import './webllmPanel.css';
import { useEffect, useRef } from 'react';
import { TINYMATH_MODELS, TINYMATH_MODEL_ROLES } from '../../runtime/tinymath/names';
import { useAppStore } from '../../store/react';

/**
 * Which model runs where: TinyMath's loading progress and backend (with the CPU notice when
 * WebGPU is missing), naming its three models (generator, revision model and PRM), or the WebLLM
 * model runs use now (its live speed is on the stage).
 */
export function ModelStatus() {
  const model = useAppStore((s) => s.model);
  const active = useAppStore((s) => s.activeModel);
  const notice = useRef<HTMLDetailsElement>(null);
  // An opened notice closes on a click anywhere else or on Escape, as a popover does.
  useEffect(() => {
    const close = (e: Event) => {
      const el = notice.current;
      if (!el?.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !el.contains(e.target as Node))
        el.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);
  const where = model.backend === 'webgpu' ? 'WebGPU' : 'CPU';
  const tinymath =
    model.status === 'ready' ? (
      // One line. Its three models show where the header has room for them (app.css); the title
      // and the run settings' Task hint name them everywhere.
      <span
        className="model-status-line"
        data-testid="tinymath-models"
        title={`${TINYMATH_MODELS}, on the ${where}`}
      >
        TinyMath on <strong>{where}</strong>
        <span className="model-status-sub model-status-models"> · {TINYMATH_MODEL_ROLES}</span>
      </span>
    ) : null;
  return (
    <div
      className="model-status"
      data-testid="model-status"
      data-backend={model.backend ?? ''}
      data-active={active.kind}
    >
      {model.status === 'loading' || model.status === 'idle' ? (
        <span className="model-loading">
          <span className="model-status-line" title={`Loading the ${TINYMATH_MODELS}`}>
            Loading the {TINYMATH_MODELS}…
          </span>
          <progress aria-label="Model loading progress" max={1} value={model.progress} />
        </span>
      ) : null}
      {active.kind === 'webllm' ? (
        <>
          <span className="model-status-line" title={`${active.info.label}, through WebLLM`}>
            WebLLM: <strong>{active.info.label}</strong>
          </span>
          <span className="model-status-line model-status-sub">
            on WebGPU · TinyMath stays loaded
          </span>
        </>
      ) : (
        tinymath
      )}
      {model.status === 'error' ? (
        <span className="error-text" role="alert">
          TinyMath failed to load: {model.error}
        </span>
      ) : null}
      {model.notice && active.kind === 'tinymath' ? (
        // The header has room for one short line; the whole notice opens below it on a click
        // (or Enter), so why TinyMath runs on the CPU is readable, not only hoverable.
        <details ref={notice} className="backend-notice" role="status" data-testid="backend-notice">
          <summary title={model.notice}>{model.notice}</summary>
          <p className="backend-notice-full">{model.notice}</p>
        </details>
      ) : null}
    </div>
  );
}
