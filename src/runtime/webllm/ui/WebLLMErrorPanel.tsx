import type { WebLLMErrorInfo } from '../errors';

export interface WebLLMErrorPanelProps {
  error: WebLLMErrorInfo;
  /** The model that failed, for the heading (null when none was chosen yet). */
  modelLabel?: string | null;
  /** Return to the embedded TinyMath model (always offered). */
  onBackToTinyMath(): void;
  /** Try the same model again; shown for retryable errors. */
  onRetry?: () => void;
  /** Load the q4f32_1 build of the same model; shown when the error suggests it. */
  onUseF32?: () => void;
}

/**
 * A WebLLM failure in plain words, with a way back to TinyMath. TinyMath runs in its own worker
 * and is never unloaded for WebLLM, so going back loses nothing.
 */
export function WebLLMErrorPanel(props: WebLLMErrorPanelProps) {
  const { error } = props;
  return (
    <div className="webllm-error" role="alert" data-testid="webllm-error" data-kind={error.kind}>
      <h3 className="webllm-error-title">
        {error.title}
        {props.modelLabel ? <span className="muted"> ({props.modelLabel})</span> : null}
      </h3>
      <p>{error.message}</p>
      <p className="webllm-hint">{error.hint}</p>
      <p className="muted">TinyMath is still loaded: your settings and traces are untouched.</p>
      <details className="webllm-details">
        <summary>Error details</summary>
        <code>{error.detail}</code>
      </details>
      <div className="row webllm-actions">
        <button type="button" onClick={props.onBackToTinyMath}>
          Back to TinyMath
        </button>
        {props.onUseF32 && error.suggestF32 ? (
          <button type="button" onClick={props.onUseF32}>
            Load the q4f32_1 build
          </button>
        ) : null}
        {props.onRetry && error.retryable ? (
          <button type="button" onClick={props.onRetry}>
            Try again
          </button>
        ) : null}
      </div>
    </div>
  );
}
