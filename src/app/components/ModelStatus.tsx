import './webllmPanel.css';
import { useEffect, useRef } from 'react';
import { useAppStore } from '../../store/react';

/**
 * Which model runs where: TinyMath's loading progress and backend (with the CPU notice when
 * WebGPU is missing), or the WebLLM model runs use now (its live speed is on the stage).
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
  const tinymath =
    model.status === 'ready' ? (
      <span>
        TinyMath on <strong>{model.backend === 'webgpu' ? 'WebGPU' : 'CPU'}</strong>
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
          <span>Loading TinyMath…</span>
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
          Model failed to load: {model.error}
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
