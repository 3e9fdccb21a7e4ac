/**
 * A fake WebLLM engine for unit tests, with web-llm 0.2.86's exact request and response shapes
 * (the types come from the library) and its observable behaviour in completions.create:
 * - request checks as in postInitAndCheckGenerationConfigValues (top_logprobs needs logprobs,
 *   0..5; top_p in (0,1]; temperature >= 0; max_tokens > 0);
 * - a stop string ends generation and is cut from the text (with anything after it in the same
 *   token), found by lastIndexOf after each token as web-llm does;
 * - the end-of-turn token ends generation with finish_reason "stop" too, is not in the text,
 *   but is counted in completion_tokens and has a log-probability entry;
 * - log-probabilities are returned only when logprobs is true AND top_logprobs > 0 (with
 *   logprobs true and top_logprobs 0 the content list is empty);
 * - interruptGenerate() stops the running generation with finish_reason "abort";
 * - usage carries `extra` with prefill/decode tokens per second.
 * It is a test double, not a model: every text it produces is scripted.
 */
import type { WebLLMEngineLike } from '../api';
import type { EngineFactoryOptions, WebLLMEngineFactory } from '../host';
import type {
  CompletionCreateParamsNonStreaming,
  InitProgressReport,
  WebLLMCompletion,
} from '../protocol';

type Choice = WebLLMCompletion['choices'][number];
type TokenLogprob = NonNullable<NonNullable<Choice['logprobs']>['content']>[number];

export interface ScriptedReply {
  /** The tokens the fake "samples", in order, before its end token. */
  tokens: string[];
  /** Top alternatives per position (defaults to the sampled token alone). */
  top?: { token: string; logprob: number }[][];
}

export interface FakeEngineOptions {
  /** What to generate for a request (called once per request). */
  script(request: CompletionCreateParamsNonStreaming): ScriptedReply;
  /** How the end-of-turn token decodes (web-llm may show the marker or nothing). */
  endToken?: string;
  /** Milliseconds per generated token, so tests can interrupt mid-generation. */
  msPerToken?: number;
  /** Throw this from reload() (a load failure). */
  reloadError?: unknown;
  /** Progress reports sent during reload(). */
  progress?: InitProgressReport[];
}

/** Rough token count of a prompt, like a tokenizer would give (one per 4 characters). */
export function fakePromptTokens(prompt: string): number {
  return Math.max(1, Math.ceil(prompt.length / 4));
}

export class FakeWebLLMEngine implements WebLLMEngineLike {
  readonly requests: CompletionCreateParamsNonStreaming[] = [];
  readonly reloaded: string[] = [];
  unloads = 0;
  interrupts = 0;
  private interruptSignal = false;
  private loaded: string | null = null;
  private readonly options: FakeEngineOptions;
  onProgress: ((report: InitProgressReport) => void) | null = null;

  constructor(options: FakeEngineOptions) {
    this.options = options;
  }

  async reload(modelId: string): Promise<void> {
    for (const report of this.options.progress ?? []) this.onProgress?.(report);
    if (this.options.reloadError !== undefined) throw this.options.reloadError;
    this.reloaded.push(modelId);
    this.loaded = modelId;
  }

  async unload(): Promise<void> {
    this.unloads++;
    this.loaded = null;
  }

  interruptGenerate(): void {
    this.interrupts++;
    this.interruptSignal = true;
  }

  readonly completions = {
    create: (request: CompletionCreateParamsNonStreaming) => this.create(request),
  };

  private async create(request: CompletionCreateParamsNonStreaming): Promise<WebLLMCompletion> {
    if (this.loaded === null)
      throw new Error(
        'ModelNotLoadedError: Model not loaded before trying to complete CompletionCreateParams',
      );
    if (request.top_logprobs !== undefined && request.top_logprobs !== null) {
      if (!request.logprobs)
        throw new Error('DependencyError: top_logprobs requires logprobs to be true');
      if (!(request.top_logprobs >= 0 && request.top_logprobs <= 5))
        throw new Error('RangeError: top_logprobs must be in [0, 5]');
    }
    if (
      request.top_p !== undefined &&
      request.top_p !== null &&
      !(request.top_p > 0 && request.top_p <= 1)
    ) {
      throw new Error('RangeError: top_p must be in (0, 1]');
    }
    if (
      request.temperature !== undefined &&
      request.temperature !== null &&
      !(request.temperature >= 0)
    ) {
      throw new Error('NonNegativeError: temperature');
    }
    if (
      request.max_tokens !== undefined &&
      request.max_tokens !== null &&
      !(request.max_tokens > 0)
    ) {
      throw new Error('MinValueError: max_tokens must be > 0');
    }
    this.requests.push(structuredClone(request));
    // An interrupt applies only to the request that was running when it was raised.
    this.interruptSignal = false;

    const script = this.options.script(request);
    const endToken = this.options.endToken ?? '<|im_end|>';
    const stops =
      request.stop === undefined || request.stop === null
        ? []
        : Array.isArray(request.stop)
          ? request.stop
          : [request.stop];
    const topK = request.logprobs ? (request.top_logprobs ?? 0) : 0;
    const maxTokens = request.max_tokens ?? Infinity;
    const emitted: string[] = [];
    const content: TokenLogprob[] = [];
    let text = '';
    let finish: Choice['finish_reason'] = null;
    let completionTokens = 0;
    for (let i = 0; finish === null; i++) {
      await new Promise((r) => setTimeout(r, this.options.msPerToken ?? 0));
      // The first token comes from the prefill; interrupts are checked before each decode.
      if (i > 0 && this.interruptSignal) {
        finish = 'abort';
        break;
      }
      const isEnd = i >= script.tokens.length;
      const token = isEnd ? endToken : (script.tokens[i] as string);
      if (topK > 0) {
        const alternatives = script.top?.[i] ?? [{ token, logprob: -0.1 }];
        content.push({
          token,
          bytes: Array.from(new TextEncoder().encode(token)),
          logprob: alternatives.find((a) => a.token === token)?.logprob ?? -0.1,
          top_logprobs: alternatives.slice(0, topK).map((a) => ({
            token: a.token,
            bytes: Array.from(new TextEncoder().encode(a.token)),
            logprob: a.logprob,
          })),
        });
      }
      completionTokens++;
      if (isEnd) {
        finish = 'stop';
        break;
      }
      emitted.push(token);
      text = emitted.join('');
      for (const stop of stops) {
        const at = text.lastIndexOf(stop);
        if (at !== -1) {
          text = text.slice(0, at);
          finish = 'stop';
          break;
        }
      }
      if (finish === null && emitted.length >= maxTokens) finish = 'length';
    }
    const promptTokens = fakePromptTokens(request.prompt);
    return {
      id: `fake-${this.requests.length}`,
      object: 'text_completion',
      created: 0,
      model: this.loaded,
      choices: [
        {
          finish_reason: finish,
          index: 0,
          logprobs: request.logprobs ? { content } : null,
          text,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        extra: {
          e2e_latency_s: 0.5,
          prefill_tokens_per_s: 800,
          decode_tokens_per_s: 40,
          time_to_first_token_s: promptTokens / 800,
          time_per_output_token_s: 1 / 40,
        },
      },
    };
  }
}

/**
 * An engine factory for WebLLM's worker host that hands out one fake engine and wires its
 * progress reports, as the real factory wires web-llm's initProgressCallback.
 */
export function fakeEngineFactory(engine: FakeWebLLMEngine): WebLLMEngineFactory & {
  calls: EngineFactoryOptions[];
} {
  const calls: EngineFactoryOptions[] = [];
  const factory = async (options: EngineFactoryOptions) => {
    calls.push(options);
    engine.onProgress = options.onProgress;
    return engine;
  };
  return Object.assign(factory, { calls });
}
