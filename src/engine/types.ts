/**
 * The engine's contracts: tasks, language-model backends, verifiers and strategy settings.
 * Everything here is plain data or plain interfaces, so the same code runs in the page,
 * in a Web Worker, in Node for the command line, and in unit tests.
 */

/** One problem of a task. JSON-serialisable: it travels inside traces and share links. */
export interface Problem {
  /** Stable id, unique within its task (for arith: derived from level and seed). */
  id: string;
  taskId: string;
  /** Difficulty level, 1-based (1 = easiest). */
  level: number;
  /** The question as a person reads it ("Start with 37, add 45, ..."). */
  question: string;
  /** The reference final answer, normalised by the task. */
  answer: string;
  /** Task-specific structure (for arith: the start value and the operations). */
  data?: unknown;
}

/**
 * A problem set plus everything strategies need to know about its text format:
 * prompts, step splitting, answer extraction and grading, and (optionally) an exact step checker.
 */
export interface Task {
  id: string;
  label: string;
  /** Number of difficulty levels; levels are 1..levels. */
  levels: number;
  /** Text that ends one step. Search strategies generate one step at a time up to it. */
  stepDelimiter: string;
  /**
   * The generator's prompt. `previousAttempts` (oldest first, at most the last 4 are used)
   * turns it into a revision prompt, as in the paper's sequential revisions.
   */
  formatPrompt(problem: Problem, previousAttempts?: readonly string[]): string;
  /** Split a (partial or complete) solution into its steps, without delimiters. */
  splitSteps(solution: string): string[];
  /** The final answer written in a solution, or null if it has none. */
  extractAnswer(solution: string): string | null;
  /** Canonical form of an answer, used as the key for voting. */
  normalizeAnswer(answer: string): string;
  /** Exact grading of a final answer against the problem's reference. */
  isCorrect(problem: Problem, answer: string | null): boolean;
  /** Whether a step is the final-answer step (a solution ending in it is complete). */
  isFinalStep(step: string): boolean;
  /**
   * Exact per-step check (arith only). Entry i is true when step i is right on its own:
   * correct arithmetic, consistent with the question and with step i-1. Labelled as an oracle.
   */
  checkSteps?(problem: Problem, steps: readonly string[]): boolean[];
  /** Problems at a level, deterministic in `seed`. */
  sampleProblems(level: number, count: number, seed: number): Problem[];
}

export interface GenerateRequest {
  /** Each prompt is continued independently (one completion per prompt). */
  prompts: readonly string[];
  /** Upper bound on generated tokens per prompt. */
  maxTokens: number;
  /**
   * Stop strings. Generation ends right after the first one; the stop string IS included
   * in the returned text (backends that drop it, such as WebLLM, add it back).
   */
  stop?: readonly string[];
  /** 0 means greedy. */
  temperature: number;
  topP: number;
  /** Completion i draws from a random stream derived from (seed, i): same seed, same text. */
  seed: number;
  /** Ask for per-token log-probabilities where the backend has them. */
  logprobs?: boolean;
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'eos' | 'length' | 'aborted';

export interface Completion {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Log-probability of each generated token, when requested and available. */
  tokenLogprobs?: number[];
}

export interface ModelCapabilities {
  /** Whether many prompts run as one batch (tiny model, vLLM) or as a sequential loop (WebLLM). */
  batching: boolean;
  /** Most prompts per call the backend takes at once; callers chunk above this. */
  maxBatch: number;
  logprobs: boolean;
  /** Most alternatives per position (`top_logprobs`); 0 if none. */
  topLogprobs: number;
  /** Most stop strings per request (WebLLM: 4). */
  maxStopStrings: number;
  /** Context length in tokens (prompt + completion). */
  contextLength: number;
}

/** A model backend: the embedded TinyMath model, WebLLM, or an OpenAI-compatible server. */
export interface LanguageModel {
  id: string;
  /** What the user sees. A test double must say so ("Scripted test backend"). */
  label: string;
  /** For FLOP estimates (2 x parameters x tokens). */
  parameterCount: number;
  capabilities: ModelCapabilities;
  generate(request: GenerateRequest): Promise<Completion[]>;
}

export type VerifierKind = 'prm' | 'oracle' | 'judge';

export interface StepScoreRequest {
  problem: Problem;
  /** Steps so far (partial or complete solution), without delimiters. */
  steps: readonly string[];
}

export interface StepScoreResult {
  /** One score in [0,1] per step: the PRM's belief that the solution is still on track. */
  stepScores: number[];
  /** Tokens the verifier read (for compute accounting); 0 for the oracle. */
  tokens: number;
}

/** A process reward model (or the exact oracle checker, always labelled as such). */
export interface Verifier {
  id: string;
  label: string;
  kind: VerifierKind;
  /** 0 for the oracle. */
  parameterCount: number;
  scoreSteps(
    requests: readonly StepScoreRequest[],
    signal?: AbortSignal,
  ): Promise<StepScoreResult[]>;
}

/** How per-step scores become one solution score. `last` is the paper's choice. */
export type Aggregation = 'last' | 'min' | 'product';

/** How best-of-N picks its answer. `weighted` (best-of-N weighted) is the paper's default. */
export type Selection = 'naive' | 'majority' | 'weighted';

interface CommonSettings {
  /** Generation budget N, in the paper's unit (generations). */
  n: number;
  temperature: number;
  topP: number;
  aggregation: Aggregation;
  /** Token cap for one whole solution (best-of-N, revisions) or one step (search). */
  maxTokens: number;
}

export interface BestOfNConfig extends CommonSettings {
  kind: 'best-of-n';
  selection: Selection;
}

export interface RevisionsConfig extends CommonSettings {
  kind: 'revisions';
  /** Parallel chains; chain length is n / chains. Both powers of two. */
  chains: number;
  /** `verifier`: weighted vote within each chain, then across chains. `majority`: over all attempts. */
  selection: 'verifier' | 'majority';
}

export interface BeamConfig extends CommonSettings {
  kind: 'beam';
  /** M: proposals per kept beam; N/M beams survive each round. */
  beamWidth: number;
  maxRounds: number;
}

export interface LookaheadConfig extends CommonSettings {
  kind: 'lookahead';
  beamWidth: number;
  /** k: steps rolled out at temperature 0 to score a candidate. Cost counts as N x (k+1). */
  lookahead: number;
  maxRounds: number;
}

export interface DvtsConfig extends CommonSettings {
  kind: 'dvts';
  /** M: each of the N/M independent subtrees expands M ways and keeps its best child. */
  beamWidth: number;
  maxRounds: number;
}

export type StrategyConfig =
  BestOfNConfig | RevisionsConfig | BeamConfig | LookaheadConfig | DvtsConfig;

export type StrategyKind = StrategyConfig['kind'];

/** Compute spent by a run, in every unit, so runs compare on any axis. */
export interface Costs {
  /** The paper's unit: N for best-of-N, beam search, DVTS and revisions; N x (k+1) for lookahead. */
  generations: number;
  generatedTokens: number;
  promptTokens: number;
  verifierTokens: number;
  /** 2 x parameters x tokens, generator (prompt + generated) plus verifier. */
  flops: number;
}

/** Everything a strategy needs for one run. */
export interface RunContext {
  task: Task;
  problem: Problem;
  model: LanguageModel;
  /** null: no verifier; selection falls back to majority vote. */
  verifier: Verifier | null;
  config: StrategyConfig;
  seed: number;
  signal?: AbortSignal;
}
