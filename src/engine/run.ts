/**
 * The one entry point for running a strategy. It frames the strategy's events with `run_started`
 * and exactly one `run_finished`, whatever happens: completion, cancellation through the
 * AbortSignal, or an exception. The trace up to the last event is always valid, so a cancelled
 * or failed run still replays.
 */
import { addCosts, zeroCosts } from './costs';
import { deriveSeed } from './random';
import { beamSearch } from './strategies/beamSearch';
import { bestOfN } from './strategies/bestOfN';
import { hashString, isCancellation, StrategyRuntime } from './strategies/common';
import { dvts } from './strategies/dvts';
import { lookaheadSearch } from './strategies/lookahead';
import { sequentialRevisions } from './strategies/revisions';
import { TRACE_VERSION, type RunStatus, type TraceEvent } from './trace/events';
import type { Costs, RunContext, StrategyKind } from './types';

type StrategyFn = (rt: StrategyRuntime) => AsyncGenerator<TraceEvent, void>;

/** The strategy implementation for each config kind. */
export const STRATEGIES: Record<StrategyKind, StrategyFn> = {
  'best-of-n': bestOfN,
  revisions: sequentialRevisions,
  beam: beamSearch,
  lookahead: lookaheadSearch,
  dvts,
};

/**
 * A run id that depends only on the seed and the settings (task, problem, model, verifier,
 * strategy), so the same run gives the same trace, id included.
 */
export function makeRunId(ctx: RunContext): string {
  const settings = JSON.stringify({
    task: ctx.task.id,
    problem: ctx.problem.id,
    model: ctx.model.id,
    verifier: ctx.verifier?.id ?? null,
    strategy: ctx.config,
  });
  const h = deriveSeed(ctx.seed, hashString(settings));
  return `run-${ctx.seed >>> 0}-${h.toString(16).padStart(8, '0')}`;
}

/**
 * Run the strategy named by `ctx.config.kind`, yielding its trace events as they happen.
 * The first event is `run_started`; then the root node (the question prompt); then the strategy's
 * events; the last event is exactly one `run_finished` with status 'completed', 'cancelled' (the
 * signal fired) or 'error' (with the message). `run_finished.costs` is the sum of all `cost`
 * deltas, and its answer is the one of the `selected` event (null if none came).
 * @param ctx Task, problem, backend, verifier (or null), strategy settings, seed and signal.
 */
export async function* runStrategy(ctx: RunContext): AsyncGenerator<TraceEvent, void> {
  let costs: Costs = zeroCosts();
  let answer: string | null = null;
  let correct = false;
  const track = (e: TraceEvent): TraceEvent => {
    if (e.type === 'cost') costs = addCosts(costs, e.delta);
    if (e.type === 'selected') {
      answer = e.answer;
      correct = e.correct;
    }
    return e;
  };

  const { verifier } = ctx;
  yield {
    type: 'run_started',
    version: TRACE_VERSION,
    runId: makeRunId(ctx),
    task: { id: ctx.task.id, label: ctx.task.label },
    problem: ctx.problem,
    model: { id: ctx.model.id, label: ctx.model.label, parameterCount: ctx.model.parameterCount },
    verifier: verifier
      ? {
          id: verifier.id,
          label: verifier.label,
          kind: verifier.kind,
          parameterCount: verifier.parameterCount,
        }
      : null,
    strategy: ctx.config,
    seed: ctx.seed,
  };

  let status: RunStatus = 'completed';
  let error: string | undefined;
  try {
    const rt = new StrategyRuntime(ctx);
    // The root is the question; its text is the prompt the backend sees, and it cost nothing.
    yield { type: 'node_created', id: 'root', parent: null, kind: 'root' };
    yield { type: 'text_appended', id: 'root', text: rt.basePrompt, tokens: 0 };
    const strategy = STRATEGIES[ctx.config.kind];
    if (!strategy) throw new Error(`Unknown strategy kind: ${String(ctx.config.kind)}`);
    rt.checkAborted();
    for await (const e of strategy(rt)) yield track(e);
  } catch (err) {
    if (isCancellation(err) || ctx.signal?.aborted) {
      status = 'cancelled';
    } else {
      status = 'error';
      error = err instanceof Error ? err.message : String(err);
    }
  }
  yield {
    type: 'run_finished',
    status,
    answer,
    correct,
    costs,
    ...(error !== undefined ? { error } : {}),
  };
}

export interface RunResult {
  events: TraceEvent[];
  answer: string | null;
  correct: boolean;
  costs: Costs;
  status: RunStatus;
  error?: string;
}

/** Run a strategy to the end and collect its trace (command line, sweeps, tests). */
export async function runToCompletion(ctx: RunContext): Promise<RunResult> {
  const events: TraceEvent[] = [];
  for await (const e of runStrategy(ctx)) events.push(e);
  const last = events[events.length - 1];
  if (!last || last.type !== 'run_finished')
    throw new Error('runStrategy ended without run_finished');
  return {
    events,
    answer: last.answer,
    correct: last.correct,
    costs: last.costs,
    status: last.status,
    ...(last.error !== undefined ? { error: last.error } : {}),
  };
}
