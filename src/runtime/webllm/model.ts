/**
 * WebLLM as an engine LanguageModel: raw text completions of a hand-rendered chat template, so
 * strategies can continue a partial assistant message; one prompt at a time (WebLLM has no
 * batching); at most four stop strings, added back to the text because WebLLM leaves them out.
 */
import { deriveSeed } from '../../engine/random';
import type {
  Completion,
  FinishReason,
  GenerateRequest,
  LanguageModel,
  ModelCapabilities,
} from '../../engine/types';
import type { WebLLMCompletionsApi } from './api';
import type { CompletionCreateParamsNonStreaming, WebLLMCompletion } from './protocol';
import { renderPrompt, type ChatTemplateId } from './templates';

/** Plain data that describes a loaded WebLLM model; it travels between threads. */
export interface WebLLMModelInfo {
  modelId: string;
  /** What the user sees, e.g. "Qwen2.5-Math 1.5B Instruct (q4f16_1)". */
  label: string;
  template: ChatTemplateId;
  parameterCount: number;
  contextWindow: number;
}

/** Speed and size of one WebLLM call, from its usage statistics (for a live display). */
export interface WebLLMSpeedReport {
  modelId: string;
  role: 'generator' | 'judge';
  promptTokens: number;
  completionTokens: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  timeToFirstTokenS: number;
  e2eLatencyS: number;
}

/** WebLLM's hard limits (web-llm 0.2.86): stop strings per request, alternatives per token. */
export const WEBLLM_MAX_STOP_STRINGS = 4;
export const WEBLLM_MAX_TOP_LOGPROBS = 5;

export interface WebLLMModelOptions {
  api: WebLLMCompletionsApi;
  info: WebLLMModelInfo;
  /** System message; null (default) uses the template family's default. */
  systemPrompt?: string | null;
  /** Called after every completion with WebLLM's prefill/decode speeds. */
  onSpeed?: (report: WebLLMSpeedReport) => void;
}

const finite = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) ? x : 0);

/** A speed report from a WebLLM response's usage (zeros where WebLLM reports none). */
export function speedReport(
  modelId: string,
  role: WebLLMSpeedReport['role'],
  response: WebLLMCompletion,
): WebLLMSpeedReport {
  const usage = response.usage;
  return {
    modelId,
    role,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    prefillTokensPerS: finite(usage?.extra.prefill_tokens_per_s),
    decodeTokensPerS: finite(usage?.extra.decode_tokens_per_s),
    timeToFirstTokenS: finite(usage?.extra.time_to_first_token_s),
    e2eLatencyS: finite(usage?.extra.e2e_latency_s),
  };
}

type TokenLogprob = NonNullable<
  NonNullable<WebLLMCompletion['choices'][number]['logprobs']>['content']
>[number];

/** Whether the last sampled token is the one that completed stop string `stop`. */
function tokenCompletesStop(token: string, stop: string): boolean {
  if (token.includes(stop)) return true;
  // The stop string may straddle tokens (".\n" then "\n"): the last token then starts with a
  // non-empty tail of it.
  for (let k = 1; k < stop.length; k++) if (token.startsWith(stop.slice(k))) return true;
  return false;
}

export interface ResolvedFinish {
  text: string;
  finishReason: FinishReason;
  /** Whether the last log-probability entry is the end-of-turn token (not part of the text). */
  endToken: boolean;
}

/**
 * Turn WebLLM's finish into the engine's. WebLLM reports "stop" both for a stop string and for
 * the end-of-turn token, and drops the stop string from the text. The last sampled token tells
 * them apart: a stop string always ends in the token that completed it, while the end token is
 * a special token (decoded as its marker or as nothing).
 * @param content The per-token log-probabilities (requested with top_logprobs >= 1); without
 *   them a "stop" with stop strings is taken as the first stop string, because treating a step
 *   delimiter as the end of a solution would end a search path early, while the opposite
 *   mistake only costs one more (empty) step.
 */
export function resolveFinish(
  finish: string | null,
  text: string,
  stops: readonly string[],
  content: readonly TokenLogprob[] | null | undefined,
): ResolvedFinish {
  if (finish === 'length') return { text, finishReason: 'length', endToken: false };
  if (finish === 'abort') return { text, finishReason: 'aborted', endToken: false };
  if (stops.length === 0) return { text, finishReason: 'eos', endToken: true };
  const last = content?.[content.length - 1];
  if (!last) return { text: text + (stops[0] as string), finishReason: 'stop', endToken: false };
  const matched = stops.find((s) => tokenCompletesStop(last.token, s));
  if (matched === undefined) return { text, finishReason: 'eos', endToken: true };
  return { text: text + matched, finishReason: 'stop', endToken: false };
}

function aborted(): Completion {
  return { text: '', finishReason: 'aborted', promptTokens: 0, completionTokens: 0 };
}

/**
 * Seconds `samples` sequential WebLLM generations take at the measured speeds: WebLLM has no
 * batching, so N samples cost N times one (the paper's budgets get expensive fast). Null while
 * no speed has been measured.
 */
export function estimateSequentialSeconds(options: {
  samples: number;
  promptTokens: number;
  completionTokens: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
}): number | null {
  const { samples, promptTokens, completionTokens, prefillTokensPerS, decodeTokensPerS } = options;
  if (!(prefillTokensPerS > 0) || !(decodeTokensPerS > 0)) return null;
  return samples * (promptTokens / prefillTokensPerS + completionTokens / decodeTokensPerS);
}

export class WebLLMModel implements LanguageModel {
  readonly id: string;
  readonly label: string;
  readonly parameterCount: number;
  readonly capabilities: ModelCapabilities;
  readonly info: WebLLMModelInfo;
  private readonly api: WebLLMCompletionsApi;
  private readonly systemPrompt: string | null;
  private readonly onSpeed: ((report: WebLLMSpeedReport) => void) | undefined;

  constructor(options: WebLLMModelOptions) {
    this.info = options.info;
    this.api = options.api;
    this.systemPrompt = options.systemPrompt ?? null;
    this.onSpeed = options.onSpeed;
    this.id = `webllm:${options.info.modelId}`;
    this.label = `${options.info.label} (WebLLM)`;
    this.parameterCount = options.info.parameterCount;
    this.capabilities = {
      batching: false,
      maxBatch: 1,
      logprobs: true,
      topLogprobs: WEBLLM_MAX_TOP_LOGPROBS,
      maxStopStrings: WEBLLM_MAX_STOP_STRINGS,
      contextLength: options.info.contextWindow,
    };
  }

  /** The exact WebLLM request for one prompt (exposed for tests and for the judge's reuse). */
  requestFor(request: GenerateRequest, index: number): CompletionCreateParamsNonStreaming {
    const stops = stopStrings(request);
    const topP = request.topP > 0 && request.topP <= 1 ? request.topP : 1;
    return {
      prompt: renderPrompt(this.info.template, request.prompts[index] ?? '', this.systemPrompt),
      max_tokens: Math.max(1, Math.floor(request.maxTokens)),
      temperature: Math.max(0, request.temperature),
      top_p: topP,
      seed: deriveSeed(request.seed, index) % 2_147_483_647,
      ...(stops.length > 0 ? { stop: stops } : {}),
      // Log-probabilities are also how a stop string is told from the end token (resolveFinish);
      // WebLLM returns them only when top_logprobs > 0.
      ...(request.logprobs || stops.length > 0 ? { logprobs: true, top_logprobs: 1 } : {}),
      // Plain sampling, so temperature and top-p mean what the strategy settings say (the
      // model's chat config would otherwise add its own repetition penalty).
      repetition_penalty: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
    };
  }

  async generate(request: GenerateRequest): Promise<Completion[]> {
    const stops = stopStrings(request);
    const out: Completion[] = [];
    // Sequential by design: WebLLM runs one sequence at a time, so n > 1 costs n full passes.
    for (let i = 0; i < request.prompts.length; i++) {
      if (request.signal?.aborted) {
        out.push(aborted());
        continue;
      }
      const response = await this.api.complete(this.requestFor(request, i), request.signal);
      if (!response) {
        out.push(aborted());
        continue;
      }
      const choice = response.choices[0];
      if (!choice) throw new Error(`${this.label} returned no choices`);
      const content = choice.logprobs?.content ?? null;
      const resolved = resolveFinish(choice.finish_reason, choice.text, stops, content);
      const completion: Completion = {
        text: resolved.text,
        finishReason: resolved.finishReason,
        promptTokens: response.usage?.prompt_tokens ?? 0,
        completionTokens: response.usage?.completion_tokens ?? 0,
      };
      if (request.logprobs && content) {
        const entries = resolved.endToken ? content.slice(0, -1) : content;
        completion.tokenLogprobs = entries.map((c) => c.logprob);
      }
      out.push(completion);
      this.onSpeed?.(speedReport(this.info.modelId, 'generator', response));
    }
    return out;
  }
}

function stopStrings(request: GenerateRequest): string[] {
  return (request.stop ?? []).filter((s) => s.length > 0).slice(0, WEBLLM_MAX_STOP_STRINGS);
}
