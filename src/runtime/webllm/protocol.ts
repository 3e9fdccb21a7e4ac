/**
 * Messages between WebLLM's own worker (webllm.worker.ts, which alone imports the library) and
 * its clients: the page (loading, progress) and the engine worker (completions), each over its
 * own MessagePort. Plain structured-clone data; errors cross as strings.
 *
 * The request and response bodies are web-llm's own OpenAI-style types, imported as types only,
 * so nothing of the library enters a bundle that merely talks to it.
 */
import type {
  Completion as WebLLMCompletion,
  CompletionCreateParamsNonStreaming,
  InitProgressReport,
  ModelRecord,
} from '@mlc-ai/web-llm';

export type {
  CompletionCreateParamsNonStreaming,
  InitProgressReport,
  ModelRecord,
  WebLLMCompletion,
};

export type ToWebLLM =
  /** Load a model (unloading any other). `customRecord` adds a self-hosted model to the config. */
  | { type: 'load'; id: number; modelId: string; customRecord?: ModelRecord }
  /** One raw text completion (n = 1); requests run one at a time, in arrival order. */
  | { type: 'complete'; id: number; params: CompletionCreateParamsNonStreaming }
  /** Stop request `id`: interrupt it if running, skip it if still queued. */
  | { type: 'interrupt'; id: number }
  | { type: 'unload'; id: number }
  /** Serve another client on this port (the page hands one to the engine worker). */
  | { type: 'connect'; port: MessagePort };

export type FromWebLLM =
  | { type: 'progress'; id: number; report: InitProgressReport }
  | { type: 'loaded'; id: number; modelId: string }
  | { type: 'completion'; id: number; completion: WebLLMCompletion }
  /** The request was interrupted before it started; nothing was generated. */
  | { type: 'skipped'; id: number }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: string };

/** Anything that carries messages both ways: a Worker, a MessagePort, a worker's global scope. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** MessagePorts need start() when listened to with addEventListener. */
  start?(): void;
}
