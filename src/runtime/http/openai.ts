import { deriveSeed } from '../../engine/random';
import type {
  Completion,
  FinishReason,
  GenerateRequest,
  LanguageModel,
  ModelCapabilities,
} from '../../engine/types';

/**
 * A LanguageModel backed by an OpenAI-compatible text-completions server (vLLM, llama.cpp's
 * server, ...). Raw completions, not chat, because search strategies continue partial solutions.
 *
 * Each prompt goes out as its own request (the server batches concurrent requests itself), which
 * gives honest per-prompt token counts: a multi-prompt request reports only a summed `usage`.
 */
export interface OpenAICompletionsOptions {
  /** Base URL up to and including `/v1`, for example `http://localhost:8000/v1`. */
  baseUrl: string;
  /** Model name as the server knows it. */
  model: string;
  apiKey?: string;
  /** Parameter count for FLOP estimates (the API does not report it). */
  parameterCount: number;
  contextLength?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /**
   * Send vLLM's `include_stop_str_in_output` so stop strings come back in the text. Servers
   * without it get the stop string re-appended from vLLM-style `stop_reason` or, when exactly one
   * stop string was asked for, from that string.
   */
  vllmExtensions?: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

interface CompletionChoice {
  text: string;
  finish_reason: string | null;
  stop_reason?: string | number | null;
  logprobs?: { token_logprobs?: (number | null)[] } | null;
}

interface CompletionResponse {
  choices?: CompletionChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string };
}

export class OpenAICompletionsModel implements LanguageModel {
  readonly id: string;
  readonly label: string;
  readonly parameterCount: number;
  readonly capabilities: ModelCapabilities;
  private readonly options: Required<Omit<OpenAICompletionsOptions, 'apiKey'>> & {
    apiKey?: string;
  };

  constructor(options: OpenAICompletionsOptions) {
    this.options = {
      contextLength: 4096,
      concurrency: 16,
      vllmExtensions: true,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
    };
    this.id = `openai:${options.model}`;
    this.label = `${options.model} (server at ${new URL(options.baseUrl).host})`;
    this.parameterCount = options.parameterCount;
    this.capabilities = {
      batching: true,
      maxBatch: 256,
      logprobs: true,
      topLogprobs: 5,
      maxStopStrings: 4,
      contextLength: this.options.contextLength,
    };
  }

  async generate(request: GenerateRequest): Promise<Completion[]> {
    const results: Completion[] = new Array<Completion>(request.prompts.length);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= request.prompts.length) return;
        results[i] = await this.completeOne(request, i);
      }
    };
    const lanes = Math.min(this.options.concurrency, request.prompts.length);
    await Promise.all(Array.from({ length: lanes }, worker));
    return results;
  }

  private async completeOne(request: GenerateRequest, index: number): Promise<Completion> {
    const prompt = request.prompts[index] ?? '';
    const stop = request.stop?.slice(0, this.capabilities.maxStopStrings) ?? [];
    if (request.signal?.aborted) return aborted();
    const body: Record<string, unknown> = {
      model: this.options.model,
      prompt,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      top_p: request.topP,
      seed: deriveSeed(request.seed, index) % 2_147_483_647,
      n: 1,
    };
    if (stop.length > 0) body.stop = stop;
    if (request.logprobs) body.logprobs = 1;
    if (this.options.vllmExtensions && stop.length > 0) body.include_stop_str_in_output = true;
    let response: Response;
    try {
      response = await this.options.fetch(
        `${this.options.baseUrl.replace(/\/$/, '')}/completions`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          ...(request.signal ? { signal: request.signal } : {}),
        },
      );
    } catch (err) {
      if (request.signal?.aborted) return aborted();
      throw new Error(
        `Could not reach the completions server at ${this.options.baseUrl}: ${String(err)}`,
      );
    }
    let json: CompletionResponse;
    try {
      json = (await response.json()) as CompletionResponse;
    } catch {
      throw new Error(
        `The server at ${this.options.baseUrl} answered ${response.status} with a body that is not JSON`,
      );
    }
    if (!response.ok) {
      throw new Error(
        `The server at ${this.options.baseUrl} answered ${response.status}: ${json.error?.message ?? 'no message'}`,
      );
    }
    const choice = json.choices?.[0];
    if (!choice || typeof choice.text !== 'string') {
      throw new Error(
        `The server at ${this.options.baseUrl} sent a completion without choices[0].text`,
      );
    }
    let text = choice.text;
    let finishReason: FinishReason = choice.finish_reason === 'length' ? 'length' : 'eos';
    if (choice.finish_reason === 'stop') {
      const matched =
        typeof choice.stop_reason === 'string'
          ? choice.stop_reason
          : choice.stop_reason === undefined && stop.length === 1
            ? stop[0]
            : undefined;
      if (matched !== undefined) {
        finishReason = 'stop';
        if (!text.endsWith(matched)) text += matched;
      }
    }
    const logprobs = choice.logprobs?.token_logprobs?.map((x) => x ?? Number.NEGATIVE_INFINITY);
    return {
      text,
      finishReason,
      promptTokens: json.usage?.prompt_tokens ?? 0,
      completionTokens: json.usage?.completion_tokens ?? 0,
      ...(logprobs ? { tokenLogprobs: logprobs } : {}),
    };
  }
}

function aborted(): Completion {
  return { text: '', finishReason: 'aborted', promptTokens: 0, completionTokens: 0 };
}
