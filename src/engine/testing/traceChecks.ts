/**
 * Invariants every strategy's trace must satisfy, written once so each strategy test checks them.
 */
import { addCosts, zeroCosts } from '../costs';
import type { TraceEvent } from '../trace/events';
import type { Costs } from '../types';

/** Sum of all cost deltas in a trace. */
export function sumCostEvents(events: readonly TraceEvent[]): Costs {
  let c = zeroCosts();
  for (const e of events) if (e.type === 'cost') c = addCosts(c, e.delta);
  return c;
}

/** Generated tokens visible in the trace: text_appended tokens plus lookahead rollout tokens. */
export function visibleGeneratedTokens(events: readonly TraceEvent[]): number {
  let n = 0;
  for (const e of events) {
    if (e.type === 'text_appended') n += e.tokens;
    if (e.type === 'scored') n += e.rolloutTokens ?? 0;
  }
  return n;
}

/**
 * Problems with a trace, as readable strings (empty when it is sound): framing by run_started and
 * one final run_finished, nodes created once and before use, parents before children, and costs
 * that add up (deltas sum to the total; in a completed run, generated tokens equal the text and
 * rollout tokens; in a cancelled one they are at least that).
 */
export function traceProblems(events: readonly TraceEvent[]): string[] {
  const problems: string[] = [];
  if (events[0]?.type !== 'run_started') problems.push('first event is not run_started');
  const finishes = events.filter((e) => e.type === 'run_finished');
  if (finishes.length !== 1) problems.push(`${finishes.length} run_finished events`);
  const last = events[events.length - 1];
  if (last?.type !== 'run_finished') problems.push('last event is not run_finished');
  const nodes = new Set<string>();
  events.forEach((e, i) => {
    if (e.type === 'node_created') {
      if (nodes.has(e.id)) problems.push(`event ${i}: node ${e.id} created twice`);
      if (e.parent !== null && !nodes.has(e.parent))
        problems.push(`event ${i}: parent ${e.parent} unknown`);
      nodes.add(e.id);
    } else if ('id' in e && typeof e.id === 'string' && e.type !== 'selected' && !nodes.has(e.id)) {
      problems.push(`event ${i} (${e.type}): unknown node ${e.id}`);
    } else if ((e.type === 'kept' || e.type === 'pruned') && e.ids.some((id) => !nodes.has(id))) {
      problems.push(`event ${i} (${e.type}): unknown node`);
    }
  });
  if (last?.type === 'run_finished') {
    const sum = sumCostEvents(events);
    for (const k of Object.keys(sum) as (keyof Costs)[]) {
      const a = sum[k];
      const b = last.costs[k];
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) {
        problems.push(`costs.${k}: deltas sum to ${a}, run_finished says ${b}`);
      }
    }
    const visible = visibleGeneratedTokens(events);
    // A cancelled or failed run may have paid for completions it never got to show (an earlier
    // chunk of the call that was cut short), so only a completed run must match exactly.
    const exact = last.status === 'completed';
    if (exact ? visible !== last.costs.generatedTokens : visible > last.costs.generatedTokens) {
      problems.push(
        `generatedTokens ${last.costs.generatedTokens} ${exact ? '!=' : '<'} text + rollout tokens ${visible}`,
      );
    }
  }
  return problems;
}
