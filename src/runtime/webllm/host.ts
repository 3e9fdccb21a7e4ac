/**
 * The WebLLM worker's message handling, separate from the worker entry so tests can run it
 * with a fake engine over a MessageChannel. One engine serves every connected client (the page
 * and the engine worker); its requests run one at a time in arrival order, because WebLLM
 * generates one sequence at a time anyway and an interrupt must hit the right request.
 */
import type { WebLLMEngineLike } from './api';
import { errorText } from './errors';
import type {
  FromWebLLM,
  InitProgressReport,
  MessageEndpoint,
  ModelRecord,
  ToWebLLM,
} from './protocol';

export interface EngineFactoryOptions {
  /** A self-hosted model's record, added to the prebuilt app config. */
  customRecord?: ModelRecord;
  /** WebLLM's initProgressCallback. */
  onProgress(report: InitProgressReport): void;
}

/** Makes an engine; the worker passes one that imports web-llm lazily, tests pass a fake. */
export type WebLLMEngineFactory = (options: EngineFactoryOptions) => Promise<WebLLMEngineLike>;

interface Connection {
  post(message: FromWebLLM): void;
  /** Completion ids received and not yet started. */
  queued: Set<number>;
  /** Queued ids whose interrupt came before they started. */
  skipped: Set<number>;
}

export interface WebLLMHost {
  /** Serve requests arriving on this endpoint (the worker scope, or a transferred port). */
  connect(endpoint: MessageEndpoint): void;
}

/**
 * The worker side of the WebLLM backend.
 * @param createEngine Called on every load, after the previous engine is unloaded.
 */
export function createWebLLMHost(createEngine: WebLLMEngineFactory): WebLLMHost {
  let engine: WebLLMEngineLike | null = null;
  let running: { conn: Connection; id: number } | null = null;
  let queue: Promise<void> = Promise.resolve();

  const enqueue = (task: () => Promise<void>) => {
    queue = queue.then(task, task);
  };

  async function load(conn: Connection, msg: Extract<ToWebLLM, { type: 'load' }>): Promise<void> {
    try {
      if (engine) {
        const old = engine;
        engine = null;
        await old.unload().catch(() => undefined);
      }
      const next = await createEngine({
        ...(msg.customRecord ? { customRecord: msg.customRecord } : {}),
        onProgress: (report) => conn.post({ type: 'progress', id: msg.id, report }),
      });
      await next.reload(msg.modelId);
      engine = next;
      conn.post({ type: 'loaded', id: msg.id, modelId: msg.modelId });
    } catch (e) {
      conn.post({ type: 'failed', id: msg.id, error: errorText(e) });
    }
  }

  async function complete(
    conn: Connection,
    msg: Extract<ToWebLLM, { type: 'complete' }>,
  ): Promise<void> {
    conn.queued.delete(msg.id);
    if (conn.skipped.delete(msg.id)) {
      conn.post({ type: 'skipped', id: msg.id });
      return;
    }
    if (!engine) {
      conn.post({ type: 'failed', id: msg.id, error: 'No WebLLM model is loaded.' });
      return;
    }
    running = { conn, id: msg.id };
    try {
      const completion = await engine.completions.create({ ...msg.params, stream: false, n: 1 });
      conn.post({ type: 'completion', id: msg.id, completion });
    } catch (e) {
      conn.post({ type: 'failed', id: msg.id, error: errorText(e) });
    } finally {
      running = null;
    }
  }

  async function unload(conn: Connection, id: number): Promise<void> {
    try {
      const old = engine;
      engine = null;
      await old?.unload();
      conn.post({ type: 'done', id });
    } catch (e) {
      conn.post({ type: 'failed', id, error: errorText(e) });
    }
  }

  function handle(conn: Connection, msg: ToWebLLM): void {
    switch (msg.type) {
      case 'load':
        enqueue(() => load(conn, msg));
        return;
      case 'complete':
        conn.queued.add(msg.id);
        enqueue(() => complete(conn, msg));
        return;
      case 'interrupt':
        if (running && running.conn === conn && running.id === msg.id) engine?.interruptGenerate();
        else if (conn.queued.has(msg.id)) conn.skipped.add(msg.id);
        return;
      case 'unload':
        enqueue(() => unload(conn, msg.id));
        return;
      case 'connect':
        connect(msg.port);
        return;
    }
  }

  function connect(endpoint: MessageEndpoint): void {
    const conn: Connection = {
      post: (message) => endpoint.postMessage(message),
      queued: new Set(),
      skipped: new Set(),
    };
    endpoint.addEventListener('message', (e: MessageEvent) => handle(conn, e.data as ToWebLLM));
    endpoint.start?.();
  }

  return { connect };
}
