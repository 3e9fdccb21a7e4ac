/**
 * The client side of the WebLLM worker protocol, usable from the page or from the engine
 * worker: load a model with progress, run completions that an AbortSignal interrupts, and hand
 * out extra ports so another thread can talk to the same engine.
 */
import type { WebLLMCompletionsApi } from './api';
import type {
  CompletionCreateParamsNonStreaming,
  FromWebLLM,
  InitProgressReport,
  MessageEndpoint,
  ModelRecord,
  ToWebLLM,
  WebLLMCompletion,
} from './protocol';

interface Pending {
  resolve(message: FromWebLLM): void;
  reject(error: Error): void;
  onProgress?: (report: InitProgressReport) => void;
}

export interface LoadOptions {
  customRecord?: ModelRecord;
  onProgress?: (report: InitProgressReport) => void;
}

export class WebLLMClient implements WebLLMCompletionsApi {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: string | null = null;
  private readonly listener = (event: MessageEvent) => this.receive(event.data as FromWebLLM);

  /** @param endpoint The WebLLM worker itself, or a port connected to it. */
  constructor(private readonly endpoint: MessageEndpoint) {
    endpoint.addEventListener('message', this.listener);
    endpoint.start?.();
  }

  /**
   * Load a model, replacing any loaded one.
   * @throws Error with WebLLM's message (a plain string from the worker) when loading fails.
   */
  async load(modelId: string, options: LoadOptions = {}): Promise<void> {
    const id = this.nextId++;
    const done = this.request(id, options.onProgress);
    this.send({
      type: 'load',
      id,
      modelId,
      ...(options.customRecord ? { customRecord: options.customRecord } : {}),
    });
    await done;
  }

  async complete(
    params: CompletionCreateParamsNonStreaming,
    signal?: AbortSignal,
  ): Promise<WebLLMCompletion | null> {
    if (signal?.aborted) return null;
    const id = this.nextId++;
    const done = this.request(id);
    const onAbort = () => this.send({ type: 'interrupt', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    this.send({ type: 'complete', id, params });
    try {
      const reply = await done;
      return reply.type === 'completion' ? reply.completion : null;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async unload(): Promise<void> {
    const id = this.nextId++;
    const done = this.request(id);
    this.send({ type: 'unload', id });
    await done;
  }

  /**
   * A new port to the same worker, for another thread (transfer it to the engine worker and
   * wrap it in its own WebLLMClient there).
   */
  connectPort(): MessagePort {
    const channel = new MessageChannel();
    this.endpoint.postMessage({ type: 'connect', port: channel.port2 } satisfies ToWebLLM, [
      channel.port2,
    ]);
    return channel.port1;
  }

  /**
   * Reject everything in flight and refuse new requests (the worker died or was terminated).
   * @param reason The error text every pending request rejects with.
   */
  close(reason: string): void {
    this.closedWith = reason;
    this.endpoint.removeEventListener('message', this.listener);
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }

  private request(id: number, onProgress?: Pending['onProgress']): Promise<FromWebLLM> {
    if (this.closedWith !== null) return Promise.reject(new Error(this.closedWith));
    return new Promise<FromWebLLM>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
    });
  }

  private send(message: ToWebLLM): void {
    if (this.closedWith === null) this.endpoint.postMessage(message);
  }

  private receive(message: FromWebLLM): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    if (message.type === 'progress') {
      p.onProgress?.(message.report);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'failed') p.reject(new Error(message.error));
    else p.resolve(message);
  }
}
