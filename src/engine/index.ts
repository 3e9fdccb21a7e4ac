/**
 * The engine's public API: contracts, seeded randomness, aggregation and voting, compute
 * accounting, the strategies and the run entry point, and the oracle verifier.
 *
 * Test doubles (the scripted backend and verifiers) are deliberately not exported here; import
 * them from `src/engine/testing`.
 */
export * from './types';
export * from './random';
export * from './aggregate';
export * from './costs';
export {
  TRACE_VERSION,
  type NodeKind,
  type FinishReason as TraceFinishReason,
  type RunStatus,
  type VoteEntry,
  type TraceEvent,
  type TraceEventType,
  type TraceFile,
  type NodeStatus,
  type TraceNode,
  type TraceState,
} from './trace/events';
export { runStrategy, runToCompletion, makeRunId, STRATEGIES, type RunResult } from './run';
export {
  StrategyRuntime,
  RunCancelledError,
  isCancellation,
  type GenerateOptions,
  type PathState,
} from './strategies/common';
export { bestOfN } from './strategies/bestOfN';
export { sequentialRevisions, revisionSplit, MAX_PREVIOUS_ATTEMPTS } from './strategies/revisions';
export {
  beamSearch,
  beamSearchLoop,
  prmScorer,
  spreadProposals,
  topK,
  type Candidate,
  type CandidateScore,
  type CandidateScorer,
  type BeamSettings,
} from './strategies/beamSearch';
export { lookaheadSearch, lookaheadScorer } from './strategies/lookahead';
export { dvts } from './strategies/dvts';
export { oracleVerifier } from './verifiers/oracle';
