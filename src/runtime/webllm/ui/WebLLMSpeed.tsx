import { estimateSequentialSeconds, type WebLLMSpeedReport } from '../model';
import { formatSeconds } from './format';

/** WebLLM's measured prefill and decode speed, from the last call's usage statistics. */
export function WebLLMSpeed({ speed }: { speed: WebLLMSpeedReport | null }) {
  if (!speed) return null;
  return (
    <span className="webllm-speed" data-testid="webllm-speed" role="status">
      prefill {Math.round(speed.prefillTokensPerS)} tok/s · decode{' '}
      {speed.decodeTokensPerS.toFixed(1)} tok/s
    </span>
  );
}

export interface SequentialCostNoteProps {
  /** Samples the run will generate (the budget N in generations). */
  samples: number;
  speed: WebLLMSpeedReport | null;
  /** Tokens one sample is expected to generate (the strategy's token cap is an upper bound). */
  tokensPerSample: number;
  /** Prompt tokens of one sample (the question prompt). */
  promptTokens?: number;
}

/**
 * What no batching costs: WebLLM generates N samples one after another, so a budget of N takes
 * N times one sample. With a measured speed, also an estimate in seconds.
 */
export function SequentialCostNote(props: SequentialCostNoteProps) {
  const seconds = props.speed
    ? estimateSequentialSeconds({
        samples: props.samples,
        promptTokens: props.promptTokens ?? 150,
        completionTokens: props.tokensPerSample,
        prefillTokensPerS: props.speed.prefillTokensPerS,
        decodeTokensPerS: props.speed.decodeTokensPerS,
      })
    : null;
  return (
    <p className="webllm-cost" data-testid="webllm-sequential-cost">
      WebLLM has no batching: the {props.samples} sample{props.samples === 1 ? '' : 's'} of this
      budget run one after another, so it takes {props.samples}× the time of one
      {seconds !== null
        ? ` (about ${formatSeconds(seconds)} at the measured speed, up to ${props.tokensPerSample} tokens each)`
        : ''}
      .
    </p>
  );
}
