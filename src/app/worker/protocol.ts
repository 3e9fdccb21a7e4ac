/**
 * Messages between the page and the engine worker. Everything is structured-clone safe plain
 * data; errors cross as plain strings (an Error object would lose its message in some browsers).
 */
import type { RunStatus, TraceEvent } from '../../engine/trace/events';
import type { Problem, StrategyConfig } from '../../engine/types';
import type { WebLLMModelInfo, WebLLMSpeedReport } from '../../runtime/webllm/model';
import type { VerifierChoice } from '../../store/settings';
import type { SweepWork } from '../../engine/sweep/runner';
import type { SweepRecord, SweepRequest } from '../../store/sweepTypes';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** One of `count` parts of a sweep's problems: those at `index`, `index + count`, ... */
export interface SweepShard {
  index: number;
  count: number;
}

/** One run, as the page asks for it. The worker owns the model objects; the page sends ids. */
export interface RunRequest {
  taskId: string;
  problem: Problem;
  config: StrategyConfig;
  verifier: VerifierChoice;
  seed: number;
}

export type ToWorker =
  | {
      type: 'load-models';
      /** Absolute URL of the folder holding tinymath-gen/, tinymath-prm/ and tinymath-rev/. */
      baseUrl: string;
      backend: BackendChoice;
      /** Absolute URL of the folder holding data/ (GSM8K, MATH-500), fetched on first use. */
      dataBaseUrl: string;
    }
  /**
   * Run on a WebLLM model the page loaded: `port` reaches WebLLM's worker (transferred, from
   * WebLLMSession.connectPort()). TinyMath stays loaded. A run in progress is cancelled.
   */
  | { type: 'use-webllm'; info: WebLLMModelInfo; port: MessagePort }
  /** Back to TinyMath: cancels the run (and a sweep on WebLLM), then drops the WebLLM port. */
  | { type: 'use-tinymath' }
  /** Start a run; a run still going is cancelled first (one live run at a time). */
  | { type: 'start-run'; runId: string; request: RunRequest }
  | { type: 'cancel-run'; runId: string }
  /**
   * Start (or resume, skipping `completed`) a budget sweep; with `shard`, only problems `index`,
   * `index + count`, ... of its plan (the other shards run in other workers: shardedSweeps.ts).
   */
  | {
      type: 'start-sweep';
      sweepId: string;
      request: SweepRequest;
      completed: SweepRecord[];
      shard?: SweepShard;
    }
  | { type: 'cancel-sweep'; sweepId: string };

export type FromWorker =
  | { type: 'models-progress'; fraction: number; message: string }
  | {
      type: 'models-ready';
      backend: 'cpu' | 'webgpu';
      notice: string | null;
      generatorLabel: string;
      prmLabel: string;
    }
  | { type: 'models-failed'; error: string }
  /** The backend changed after loading (WebGPU failed: now on the CPU). */
  | { type: 'models-notice'; notice: string }
  /** A batch of trace events, in order. Batched so a fast run does not flood the page. */
  | { type: 'run-events'; runId: string; events: TraceEvent[] }
  /** Sent after the run's last events; `error` when the run could not even produce a trace. */
  | { type: 'run-ended'; runId: string; status: RunStatus; error?: string }
  | {
      type: 'sweep-progress';
      sweepId: string;
      done: number;
      total: number;
      message: string;
      /** The unit being worked on, in words ('' when none). */
      item?: string;
      /** Work weights done and to do (engine/sweep/runner.ts), for a time-left over shards. */
      work?: SweepWork;
    }
  | { type: 'sweep-record'; sweepId: string; record: SweepRecord }
  | {
      type: 'sweep-ended';
      sweepId: string;
      status: 'completed' | 'cancelled' | 'error';
      error?: string;
    }
  /** WebLLM's prefill/decode speed from its usage statistics, after every WebLLM call. */
  | { type: 'webllm-speed'; report: WebLLMSpeedReport }
  /** Something failed outside any run or sweep (an unhandled rejection in the worker). */
  | { type: 'worker-error'; error: string };

/** An error of any kind as a string a person can read. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
