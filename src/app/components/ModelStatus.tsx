import { useAppStore } from '../../store/react';

/** Which model runs where: loading progress, the backend, and the CPU notice when WebGPU is missing. */
export function ModelStatus() {
  const model = useAppStore((s) => s.model);
  return (
    <div className="model-status" data-testid="model-status" data-backend={model.backend ?? ''}>
      {model.status === 'loading' || model.status === 'idle' ? (
        <span className="model-loading">
          <span>Loading TinyMath…</span>
          <progress aria-label="Model loading progress" max={1} value={model.progress} />
        </span>
      ) : null}
      {model.status === 'ready' ? (
        <span>
          TinyMath on <strong>{model.backend === 'webgpu' ? 'WebGPU' : 'CPU'}</strong>
        </span>
      ) : null}
      {model.status === 'error' ? (
        <span className="error-text" role="alert">
          Model failed to load: {model.error}
        </span>
      ) : null}
      {model.notice ? (
        <span
          className="backend-notice"
          role="status"
          data-testid="backend-notice"
          title={model.notice}
        >
          {model.notice}
        </span>
      ) : null}
    </div>
  );
}
