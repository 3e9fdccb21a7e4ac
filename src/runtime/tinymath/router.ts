/**
 * The bundle's generator: one LanguageModel over two TinyMath models. A prompt that holds an
 * earlier attempt (a revision prompt: a `-` line closing an attempt, the rule promptPositions
 * counts positions by) goes to the revision model, any other prompt to the generator. A mixed
 * batch is split, each part runs on its model, and the completions come back in the request's
 * order; completion i samples from `deriveSeed(seed, i)` whichever model wrote it, so its text is
 * the one that model gives for that prompt at that index of any call (TinyMathModel.generateAt).
 */
import type {
  Completion,
  GenerateRequest,
  LanguageModel,
  ModelCapabilities,
} from '../../engine/types';
import { isRevisionPrompt } from './format';
import { backendLabel, formatParameterCount, type TinyMathModel } from './model';

/** Whether a prompt goes to the revision model (its characters are TinyMath's tokens). */
export function routesToRevision(prompt: string): boolean {
  return isRevisionPrompt([...prompt]);
}

export class RoutedGenerator implements LanguageModel {
  /** The generator's: traces, run ids and FLOP estimates name the model a run was set up with. */
  readonly id: string;
  /**
   * The generator's parameter count, for FLOP estimates. The revision model has the generator's
   * shape (the WebGPU backend shares their kernels), so the count is the same for both.
   */
  readonly parameterCount: number;

  /**
   * @param generator writes first attempts (plain prompts)
   * @param revision writes revisions (prompts that hold earlier attempts)
   */
  constructor(
    readonly generator: TinyMathModel,
    readonly revision: TinyMathModel,
  ) {
    this.id = generator.id;
    this.parameterCount = generator.parameterCount;
  }

  get backendName(): 'cpu' | 'webgpu' {
    return this.generator.backendName;
  }

  /** e.g. "TinyMath 0.93M + revision model 0.93M (CPU)". */
  get label(): string {
    return `TinyMath ${formatParameterCount(this.generator.parameterCount)} + revision model ${formatParameterCount(this.revision.parameterCount)} (${backendLabel(this.backendName)})`;
  }

  /** What both models can do (the smaller of each limit). */
  get capabilities(): ModelCapabilities {
    const g = this.generator.capabilities;
    const r = this.revision.capabilities;
    return {
      batching: true,
      maxBatch: Math.min(g.maxBatch, r.maxBatch),
      logprobs: true,
      topLogprobs: Math.min(g.topLogprobs, r.topLogprobs),
      maxStopStrings: Math.min(g.maxStopStrings, r.maxStopStrings),
      contextLength: Math.min(g.contextLength, r.contextLength),
    };
  }

  /**
   * Continue each prompt on its model: revision prompts on the revision model, the others on
   * the generator. The two parts run one after the other (plain prompts first) with the same
   * request otherwise (stop strings, sampling, logprobs, the abort signal): an abort during the
   * first part ends the second's completions as `aborted` too.
   */
  async generate(request: GenerateRequest): Promise<Completion[]> {
    const plain: number[] = [];
    const revisions: number[] = [];
    request.prompts.forEach((p, i) => (routesToRevision(p) ? revisions : plain).push(i));
    if (revisions.length === 0) return this.generator.generate(request);
    if (plain.length === 0) return this.revision.generate(request);
    const results = new Array<Completion>(request.prompts.length);
    for (const [model, indices] of [
      [this.generator, plain],
      [this.revision, revisions],
    ] as const) {
      const prompts = indices.map((i) => request.prompts[i]!);
      const out = await model.generateAt({ ...request, prompts }, indices);
      out.forEach((c, k) => (results[indices[k]!] = c));
    }
    return results;
  }
}
