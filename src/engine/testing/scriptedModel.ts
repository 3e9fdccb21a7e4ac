/**
 * A scripted LanguageModel for tests and engine demos. Its outputs are known in advance: a script
 * writes the whole continuation of a prompt, and the backend applies what a real one would (stop
 * strings, max_tokens, end of sequence, abort). One token is one character, as in TinyMath.
 *
 * It is a test double, not a model: its label says "Scripted test backend" so that no view can
 * present it as "the model".
 */
import { Rng, deriveSeed } from '../random';
import { hashString } from '../strategies/common';

import type { Completion, GenerateRequest, LanguageModel, ModelCapabilities } from '../types';

/** What a script knows when it writes a continuation. */
export interface ScriptCall {
  /** Position of the prompt within the request. */
  index: number;
  temperature: number;
  /** The request's seed. */
  seed: number;
}

/**
 * Writes the full continuation of `prompt` (what the backend would produce with no stop and no
 * token cap). `rng` is seeded from (request seed, index), or from the prompt alone at temperature
 * 0, so greedy decoding depends on the prompt only, as with a real model.
 */
export type ScriptWriter = (prompt: string, rng: Rng, call: ScriptCall) => string;

export interface ScriptedModelOptions {
  script: ScriptWriter;
  id?: string;
  label?: string;
  /** Pretend size, for FLOP estimates. */
  parameterCount?: number;
  capabilities?: Partial<ModelCapabilities>;
  /**
   * How an abort shows: 'reject' throws an AbortError (like fetch), 'return' finishes the
   * remaining completions with finishReason 'aborted' (like a loop that checks the signal).
   */
  abortMode?: 'reject' | 'return';
  /** Called at the start of every generate() call; tests use it to abort mid-run. */
  onGenerate?: (request: GenerateRequest, callIndex: number) => void;
}

export const SCRIPTED_BACKEND_LABEL = 'Scripted test backend';

const DEFAULT_CAPABILITIES: ModelCapabilities = {
  batching: true,
  maxBatch: 64,
  logprobs: false,
  topLogprobs: 0,
  maxStopStrings: 4,
  contextLength: 4096,
};

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** A LanguageModel whose outputs come from a script. See the module comment. */
export class ScriptedModel implements LanguageModel {
  readonly id: string;
  readonly label: string;
  readonly parameterCount: number;
  readonly capabilities: ModelCapabilities;
  /** Every request received, in order (tests inspect prompts, stops and batch sizes). */
  readonly requests: GenerateRequest[] = [];
  private readonly script: ScriptWriter;
  private readonly abortMode: 'reject' | 'return';
  private readonly onGenerate: ScriptedModelOptions['onGenerate'];

  constructor(options: ScriptedModelOptions) {
    this.script = options.script;
    this.id = options.id ?? 'scripted';
    this.label = options.label ?? SCRIPTED_BACKEND_LABEL;
    this.parameterCount = options.parameterCount ?? 1_000_000;
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    this.abortMode = options.abortMode ?? 'reject';
    this.onGenerate = options.onGenerate;
  }

  async generate(request: GenerateRequest): Promise<Completion[]> {
    const callIndex = this.requests.length;
    this.requests.push(request);
    // Contract checks: a caller that ignores the capabilities is a bug the tests should see.
    if (request.prompts.length > this.capabilities.maxBatch) {
      throw new Error(
        `ScriptedModel: ${request.prompts.length} prompts in one call, maxBatch is ${this.capabilities.maxBatch}`,
      );
    }
    const stops = request.stop ?? [];
    if (stops.length > this.capabilities.maxStopStrings) {
      throw new Error(
        `ScriptedModel: ${stops.length} stop strings, maxStopStrings is ${this.capabilities.maxStopStrings}`,
      );
    }
    this.onGenerate?.(request, callIndex);
    // Yield once so an abort raised by onGenerate or elsewhere is seen like a real async backend.
    await Promise.resolve();
    const out: Completion[] = [];
    for (let index = 0; index < request.prompts.length; index++) {
      const prompt = request.prompts[index] ?? '';
      if (request.signal?.aborted) {
        if (this.abortMode === 'reject') throw abortError();
        out.push({
          text: '',
          finishReason: 'aborted',
          promptTokens: prompt.length,
          completionTokens: 0,
        });
        continue;
      }
      const rngSeed =
        request.temperature === 0 ? hashString(prompt) : deriveSeed(request.seed, index);
      const rng = new Rng(rngSeed);
      const full = this.script(prompt, rng, {
        index,
        temperature: request.temperature,
        seed: request.seed,
      });
      out.push(this.finish(prompt, full, request, stops, rng));
    }
    return out;
  }

  private finish(
    prompt: string,
    full: string,
    request: GenerateRequest,
    stops: readonly string[],
    rng: Rng,
  ): Completion {
    let end = full.length;
    let reason: Completion['finishReason'] = 'eos';
    for (const s of stops) {
      if (s.length === 0) continue;
      const at = full.indexOf(s);
      if (at >= 0 && at + s.length <= end) {
        // The stop string is part of the returned text (the engine's contract).
        end = at + s.length;
        reason = 'stop';
      }
    }
    const budget = Math.max(0, Math.floor(request.maxTokens));
    if (end > budget) {
      end = budget;
      reason = 'length';
    }
    const text = full.slice(0, end);
    const completion: Completion = {
      text,
      finishReason: reason,
      promptTokens: prompt.length,
      completionTokens: text.length,
    };
    if (request.logprobs && this.capabilities.logprobs) {
      completion.tokenLogprobs = Array.from(text, () => Math.log(0.5 + 0.5 * rng.next()));
    }
    return completion;
  }
}
