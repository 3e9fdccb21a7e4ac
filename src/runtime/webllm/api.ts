/**
 * The slice of WebLLM's engine this backend uses, and the completions interface the model and
 * the judge talk to. Types only come from the library (they are erased from every bundle).
 */
import type { CompletionCreateParamsNonStreaming, WebLLMCompletion } from './protocol';

/**
 * What the worker needs of an engine: web-llm's MLCEngine satisfies it, and so does the fake
 * engine of the tests (same request and response shapes).
 */
export interface WebLLMEngineLike {
  reload(modelId: string): Promise<void>;
  unload(): Promise<void>;
  interruptGenerate(): void;
  completions: {
    create(request: CompletionCreateParamsNonStreaming): Promise<WebLLMCompletion>;
  };
}

/** Raw text completions, one at a time: over the worker (WebLLMClient) or on an engine directly. */
export interface WebLLMCompletionsApi {
  /**
   * Run one completion request.
   * @param signal Interrupts the generation; a request interrupted before it started gives null.
   */
  complete(
    params: CompletionCreateParamsNonStreaming,
    signal?: AbortSignal,
  ): Promise<WebLLMCompletion | null>;
}

/**
 * Completions straight from an engine in the same thread (tests; or an app that runs the engine
 * where the strategies run).
 */
export function engineCompletionsApi(engine: WebLLMEngineLike): WebLLMCompletionsApi {
  return {
    async complete(params, signal) {
      if (signal?.aborted) return null;
      const onAbort = () => engine.interruptGenerate();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await engine.completions.create(params);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
