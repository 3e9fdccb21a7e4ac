/**
 * Shared machinery of the strategies: node ids, seeded model calls that respect the backend's
 * capabilities, verifier calls, and cost events. Helpers that talk to a backend are async
 * generators that yield their trace events (a `cost` event after every call) and return their
 * result, so a strategy writes `const completions = yield* rt.generate(...)` and no event is ever
 * held back when a run is cancelled or fails.
 */
import { aggregateStepScores, type VoteResult } from '../aggregate';
import { costDelta } from '../costs';
import { deriveSeed } from '../random';
import type { NodeKind, FinishReason as TraceFinishReason, TraceEvent } from '../trace/events';
import type { Completion as ModelCompletion, RunContext, StepScoreResult } from '../types';

/** Thrown inside a run when its AbortSignal fires; runStrategy turns it into status 'cancelled'. */
export class RunCancelledError extends Error {
  constructor() {
    super('Run cancelled');
    this.name = 'RunCancelledError';
  }
}

/** Whether an error means "stopped on purpose" (our own, or an AbortError from a backend). */
export function isCancellation(err: unknown): boolean {
  return (
    err instanceof RunCancelledError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  );
}

export interface GenerateOptions {
  /** Paper-unit generations this call accounts for (counted once, on the first chunk). */
  generations: number;
  /** Stop strings; more than the backend's maxStopStrings are cut here and applied afterwards. */
  stop?: readonly string[];
  /** Defaults to the strategy's temperature. */
  temperature?: number;
  /** Defaults to the strategy's maxTokens. */
  maxTokens?: number;
  /**
   * Whole solutions: a solution ends with its final-answer step, so text a backend wrote after it
   * (a small model may run on into another attempt) is cut off. Its tokens stay in the costs.
   */
  endAtFinalStep?: boolean;
}

/** A candidate solution, as the strategies track it between rounds. */
export interface PathState {
  /** Trace node id of the path's last node ('root' for the empty path). */
  nodeId: string;
  /** Generated text from the root to here (steps with their delimiters). */
  text: string;
}

/**
 * The per-run state every strategy shares: counters for node ids and model calls (the seeds
 * derive from them, so the same settings give the same trace), plus helpers for model and
 * verifier calls that emit cost events.
 */
export class StrategyRuntime {
  readonly ctx: RunContext;
  /** The question prompt, without previous attempts (task.formatPrompt(problem)). */
  readonly basePrompt: string;
  private nodeCount = 0;
  private callCount = 0;

  constructor(ctx: RunContext) {
    this.ctx = ctx;
    this.basePrompt = ctx.task.formatPrompt(ctx.problem);
  }

  /** Next node id: "n1", "n2", ... ("root" is the question). */
  nextNodeId(): string {
    this.nodeCount += 1;
    return `n${this.nodeCount}`;
  }

  /** Throws RunCancelledError if the run's signal has fired. */
  checkAborted(): void {
    if (this.ctx.signal?.aborted) throw new RunCancelledError();
  }

  /** A node_created event, leaving out absent optional fields so JSON round trips are exact. */
  nodeCreated(
    id: string,
    parent: string | null,
    kind: NodeKind,
    where: { round?: number; lane?: number } = {},
  ): TraceEvent {
    const ev: Extract<TraceEvent, { type: 'node_created' }> = {
      type: 'node_created',
      id,
      parent,
      kind,
    };
    if (where.round !== undefined) ev.round = where.round;
    if (where.lane !== undefined) ev.lane = where.lane;
    return ev;
  }

  /** A text_appended event for a completion's text. */
  textAppended(id: string, completion: ModelCompletion): TraceEvent {
    const ev: Extract<TraceEvent, { type: 'text_appended' }> = {
      type: 'text_appended',
      id,
      text: completion.text,
      tokens: completion.completionTokens,
    };
    if (completion.tokenLogprobs) ev.logprobs = completion.tokenLogprobs;
    return ev;
  }

  /** Aggregate per-step scores with the strategy's rule. */
  aggregate(stepScores: readonly number[]): number {
    return aggregateStepScores(stepScores, this.ctx.config.aggregation);
  }

  /** The finished event for a solution text, graded by the task. */
  finished(id: string, text: string, reason: TraceFinishReason): TraceEvent {
    return { type: 'finished', id, ...this.grade(text), reason };
  }

  /** Normalised answer and grade of a solution text. */
  grade(text: string): { answer: string | null; correct: boolean } {
    const { task, problem } = this.ctx;
    const raw = task.extractAnswer(text);
    const answer = raw === null ? null : task.normalizeAnswer(raw);
    return { answer, correct: task.isCorrect(problem, answer) };
  }

  /**
   * Continue every prompt once. Chunks by the backend's maxBatch, passes at most maxStopStrings
   * stop strings (cutting at the rest afterwards), derives each call's seed from the run seed and
   * a call counter, and yields one cost event per backend call. If the run is cancelled between
   * chunks, the chunks already paid for stay in the costs although their text never reaches the
   * trace (so in a cancelled run generatedTokens may exceed the text's tokens).
   * @param prompts Full prompts (question prompt plus the path so far).
   */
  async *generate(
    prompts: readonly string[],
    options: GenerateOptions,
  ): AsyncGenerator<TraceEvent, ModelCompletion[]> {
    const { model, config } = this.ctx;
    const caps = model.capabilities;
    const stops = options.stop ?? [];
    const passed = stops.slice(0, Math.max(0, caps.maxStopStrings));
    const maxBatch = Math.max(1, Math.floor(caps.maxBatch));
    const out: ModelCompletion[] = [];
    for (let start = 0; start < prompts.length; start += maxBatch) {
      this.checkAborted();
      const chunk = prompts.slice(start, start + maxBatch);
      const seed = deriveSeed(this.ctx.seed, this.callCount);
      this.callCount += 1;
      const completions = await model.generate({
        prompts: chunk,
        maxTokens: options.maxTokens ?? config.maxTokens,
        ...(passed.length > 0 ? { stop: passed } : {}),
        temperature: options.temperature ?? config.temperature,
        topP: config.topP,
        seed,
        ...(caps.logprobs ? { logprobs: true } : {}),
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
      });
      if (completions.length !== chunk.length) {
        throw new Error(
          `${model.label} returned ${completions.length} completions for ${chunk.length} prompts`,
        );
      }
      let promptTokens = 0;
      let generatedTokens = 0;
      for (const c of completions) {
        promptTokens += c.promptTokens;
        generatedTokens += c.completionTokens;
        const stopped = passed.length < stops.length ? cutAtStops(c, stops) : c;
        out.push(options.endAtFinalStep ? this.cutAtFinalStep(stopped) : stopped);
      }
      yield {
        type: 'cost',
        delta: costDelta({
          generations: start === 0 ? options.generations : 0,
          promptTokens,
          generatedTokens,
          modelParams: model.parameterCount,
          verifierParams: 0,
        }),
      };
      if (completions.some((c) => c.finishReason === 'aborted')) throw new RunCancelledError();
    }
    this.checkAborted();
    return out;
  }

  /**
   * Score solutions (given as texts) with the run's verifier; yields one cost event.
   * @throws If the run has no verifier (callers that can do without one check first).
   */
  async *score(texts: readonly string[]): AsyncGenerator<TraceEvent, StepScoreResult[]> {
    const { verifier, task, problem } = this.ctx;
    if (!verifier) throw new Error(`${this.ctx.config.kind} needs a verifier`);
    if (texts.length === 0) return [];
    this.checkAborted();
    const results = await verifier.scoreSteps(
      texts.map((t) => ({ problem, steps: task.splitSteps(t) })),
      this.ctx.signal,
    );
    if (results.length !== texts.length) {
      throw new Error(
        `${verifier.label} returned ${results.length} scores for ${texts.length} solutions`,
      );
    }
    const verifierTokens = results.reduce((n, r) => n + r.tokens, 0);
    yield {
      type: 'cost',
      delta: costDelta({
        verifierTokens,
        modelParams: this.ctx.model.parameterCount,
        verifierParams: verifier.parameterCount,
      }),
    };
    this.checkAborted();
    return results;
  }

  /**
   * Whether a freshly generated step ends its path, and why. A path ends on a final-answer step,
   * on the end token, on the token cap, or when nothing was generated (as in the reference
   * implementation, an empty step cannot be extended).
   */
  stepFinish(stepText: string, completion: ModelCompletion): TraceFinishReason | null {
    const steps = this.ctx.task.splitSteps(stepText);
    const last = steps[steps.length - 1];
    if (last !== undefined && this.ctx.task.isFinalStep(last)) return 'answer';
    if (completion.finishReason === 'eos' || stepText.trim().length === 0) return 'eos';
    if (completion.finishReason === 'length') return 'length';
    return null;
  }

  /** Cut a completion right after its first final-answer step (tokens stay as generated). */
  private cutAtFinalStep(c: ModelCompletion): ModelCompletion {
    const { task } = this.ctx;
    const delimiter = task.stepDelimiter;
    let offset = 0;
    while (offset < c.text.length) {
      const next = c.text.indexOf(delimiter, offset);
      const end = next < 0 ? c.text.length : next + delimiter.length;
      if (task.isFinalStep(c.text.slice(offset, next < 0 ? c.text.length : next))) {
        return end < c.text.length ? { ...c, text: c.text.slice(0, end), finishReason: 'stop' } : c;
      }
      offset = end;
    }
    return c;
  }

  /** Why a whole solution ended: its answer if it has one, else the backend's reason. */
  solutionFinish(text: string, completion: ModelCompletion): TraceFinishReason {
    if (this.ctx.task.extractAnswer(text) !== null) return 'answer';
    return completion.finishReason === 'length' ? 'length' : 'eos';
  }

  /** Node kind of a generated step: 'answer' for the final-answer step, else 'step'. */
  stepKind(stepText: string): NodeKind {
    const steps = this.ctx.task.splitSteps(stepText);
    const last = steps[steps.length - 1];
    return last !== undefined && this.ctx.task.isFinalStep(last) ? 'answer' : 'step';
  }
}

/** Cut a completion right after the earliest stop string (kept in the text, as backends do). */
function cutAtStops(c: ModelCompletion, stops: readonly string[]): ModelCompletion {
  let end = -1;
  for (const s of stops) {
    if (!s) continue;
    const at = c.text.indexOf(s);
    if (at >= 0 && (end < 0 || at + s.length < end)) end = at + s.length;
  }
  if (end < 0 || end === c.text.length) return c;
  // Tokens stay as generated: they were paid for, even if the text after the stop is dropped.
  return { ...c, text: c.text.slice(0, end), finishReason: 'stop' };
}

/** Throws a clear error unless x is a positive integer power of two. */
export function requirePowerOfTwo(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 1 || (x & (x - 1)) !== 0) {
    throw new Error(`${name} must be a power of two (1, 2, 4, ...), got ${x}`);
  }
}

/** Throws a clear error unless x is a positive integer. */
export function requirePositiveInt(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 1)
    throw new Error(`${name} must be a positive integer, got ${x}`);
}

/** Checks a search budget: n and beamWidth positive, and beamWidth divides n (N/M beams). */
export function requireBeamSplit(n: number, beamWidth: number, maxRounds: number): void {
  requirePositiveInt('n', n);
  requirePositiveInt('beamWidth', beamWidth);
  requirePositiveInt('maxRounds', maxRounds);
  if (n % beamWidth !== 0) {
    throw new Error(
      `beamWidth (${beamWidth}) must divide the budget n (${n}): N/M beams survive each round`,
    );
  }
}

/** The `selected` event for a vote. */
export function selectedEvent(
  method: 'naive' | 'majority' | 'weighted',
  vote: VoteResult,
): TraceEvent {
  return {
    type: 'selected',
    id: vote.winner?.id ?? null,
    answer: vote.answer,
    correct: vote.correct,
    method,
    votes: vote.votes,
  };
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of a string (run ids, scripted seeds). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
