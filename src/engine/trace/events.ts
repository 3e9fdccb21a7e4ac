import type { Costs, Problem, StrategyConfig, VerifierKind } from '../types';

/** Bump when an event's meaning or shape changes; the validator rejects other versions. */
export const TRACE_VERSION = 1;

export type NodeKind = 'root' | 'step' | 'answer' | 'attempt';

export type FinishReason = 'answer' | 'eos' | 'length' | 'max_rounds' | 'aborted';

export type RunStatus = 'completed' | 'cancelled' | 'error';

export interface VoteEntry {
  /** Normalised answer ('' for solutions without one). */
  answer: string;
  /** Number of solutions that gave it. */
  count: number;
  /** Sum of verifier scores (weighted vote) or the count (majority). */
  weight: number;
  correct: boolean;
}

/**
 * The trace: a strategy's run as a list of events. A pure reducer replays it to any cursor
 * (see reducer.ts), so playback, scrubbing, export and import all share one path.
 */
export type TraceEvent =
  | {
      type: 'run_started';
      version: number;
      runId: string;
      task: { id: string; label: string };
      problem: Problem;
      model: { id: string; label: string; parameterCount: number };
      verifier: { id: string; label: string; kind: VerifierKind; parameterCount: number } | null;
      strategy: StrategyConfig;
      seed: number;
    }
  | {
      /** A new node: the root (the question), a search step, a final-answer step or a whole attempt. */
      type: 'node_created';
      id: string;
      parent: string | null;
      kind: NodeKind;
      /** Search round (beam, lookahead, DVTS) or attempt index within a chain (revisions). */
      round?: number;
      /** Lane (best-of-N), chain (revisions) or subtree (DVTS). */
      lane?: number;
    }
  | {
      type: 'text_appended';
      id: string;
      text: string;
      /** Generated tokens this text took. */
      tokens: number;
      logprobs?: number[];
    }
  | {
      type: 'scored';
      id: string;
      /** Aggregated score in [0,1] of the solution that ends at this node. */
      score: number;
      /** Per-step scores of the whole path to this node. */
      stepScores: number[];
      source: VerifierKind | 'lookahead';
      /** Lookahead only: the temperature-0 rollout text that was scored. */
      rollout?: string;
      /** Lookahead only: generated tokens the rollout took (counted in the run's generatedTokens). */
      rolloutTokens?: number;
    }
  | { type: 'kept'; ids: string[]; round: number }
  | { type: 'pruned'; ids: string[]; round: number }
  | {
      /** A node ends a solution (or a beam). */
      type: 'finished';
      id: string;
      answer: string | null;
      correct: boolean;
      reason: FinishReason;
    }
  | {
      type: 'selected';
      /** The node whose answer won (the best representative), null if nothing finished. */
      id: string | null;
      answer: string | null;
      correct: boolean;
      method: 'naive' | 'majority' | 'weighted';
      votes: VoteEntry[];
    }
  | { type: 'cost'; delta: Costs }
  | {
      type: 'run_finished';
      status: RunStatus;
      answer: string | null;
      correct: boolean;
      costs: Costs;
      error?: string;
    };

export type TraceEventType = TraceEvent['type'];

/** A saved trace file. */
export interface TraceFile {
  format: 'ttc-lab-trace';
  version: number;
  events: TraceEvent[];
}

export type NodeStatus = 'active' | 'kept' | 'pruned' | 'finished';

/** A node as views see it, after replaying events up to the cursor. */
export interface TraceNode {
  id: string;
  parent: string | null;
  children: string[];
  kind: NodeKind;
  round?: number;
  lane?: number;
  depth: number;
  text: string;
  tokens: number;
  /** Tokens generated on the whole path from the root to this node. */
  cumulativeTokens: number;
  score?: number;
  stepScores?: number[];
  scoreSource?: VerifierKind | 'lookahead';
  rollout?: string;
  /** Lookahead only: generated tokens the scored rollout took. */
  rolloutTokens?: number;
  status: NodeStatus;
  answer?: string | null;
  correct?: boolean;
  finishReason?: FinishReason;
  selected: boolean;
  /** Index of the event that created it. */
  createdAt: number;
}

export interface TraceState {
  /** Number of events applied. */
  cursor: number;
  run: Extract<TraceEvent, { type: 'run_started' }> | null;
  nodes: Record<string, TraceNode>;
  /** Node ids in creation order. */
  order: string[];
  /** Highest round seen in kept/pruned/node_created events. */
  round: number;
  selection: Extract<TraceEvent, { type: 'selected' }> | null;
  costs: Costs;
  finished: Extract<TraceEvent, { type: 'run_finished' }> | null;
}
