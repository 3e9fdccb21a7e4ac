/**
 * The page's handle on WebLLM: checks WebGPU, starts WebLLM's worker only when a model is
 * picked, loads with progress, cancels (by terminating the worker, which stops a download at
 * once and frees the GPU), reports cache status and deletes cached models, and hands the engine
 * worker a port to the loaded model. A small vanilla store: React subscribes through
 * useSyncExternalStore (ui/useWebLLMSession.ts).
 *
 * Nothing here imports web-llm; the library is loaded inside the worker on its first load.
 */
import {
  chooseVariant,
  specFromCatalogue,
  type WebLLMFamily,
  type WebLLMModelSpec,
} from './catalogue';
import { deleteModelFromCache, isModelCached, type CacheStorageLike } from './cache';
import { WebLLMClient } from './client';
import { classifyWebLLMError, type WebLLMErrorInfo } from './errors';
import { probeWebGPU, type WebGPUSupport } from './gpu';
import type { WebLLMModelInfo } from './model';
import type { MessageEndpoint } from './protocol';

export type WebLLMSessionState =
  | { status: 'idle' }
  | {
      status: 'loading';
      spec: WebLLMModelSpec;
      /** 0..1, from WebLLM's initProgressCallback. */
      progress: number;
      /** WebLLM's progress line ("Fetching param cache[3/20]: 120MB fetched..."). */
      text: string;
      /** Why this variant (the f32 fallback), or null. */
      note: string | null;
    }
  | { status: 'ready'; spec: WebLLMModelSpec; info: WebLLMModelInfo; note: string | null }
  | { status: 'error'; spec: WebLLMModelSpec | null; error: WebLLMErrorInfo };

/** A Worker, or a test double of one. */
export interface WorkerLike extends MessageEndpoint {
  terminate(): void;
  onerror: ((event: ErrorEvent) => void) | null;
}

export interface WebLLMSessionOptions {
  /** Starts WebLLM's worker; the default is the real one (a separate, lazily loaded chunk). */
  createWorker?: () => WorkerLike;
  /** Checks the WebGPU adapter; defaults to probeWebGPU on navigator.gpu. */
  probe?: () => Promise<WebGPUSupport>;
  /** The browser's CacheStorage (defaults to globalThis.caches). */
  caches?: CacheStorageLike;
}

/** The plain data the engine worker needs to build WebLLMModel and WebLLMJudge. */
export function modelInfoFromSpec(spec: WebLLMModelSpec): WebLLMModelInfo {
  return {
    modelId: spec.modelId,
    label: spec.label,
    template: spec.template,
    parameterCount: spec.parameterCount,
    contextWindow: spec.contextWindow,
  };
}

function defaultWorker(): WorkerLike {
  return new Worker(new URL('./webllm.worker.ts', import.meta.url), {
    type: 'module',
    name: 'webllm',
  }) as unknown as WorkerLike;
}

const CANCELLED = 'AbortError: download cancelled by the user';

export class WebLLMSession {
  private state: WebLLMSessionState = { status: 'idle' };
  private readonly listeners = new Set<() => void>();
  private worker: WorkerLike | null = null;
  private client: WebLLMClient | null = null;
  /** Bumped by every load and cancel, so a superseded load cannot overwrite the state. */
  private generation = 0;
  private support: Promise<WebGPUSupport> | null = null;
  private readonly options: WebLLMSessionOptions;

  constructor(options: WebLLMSessionOptions = {}) {
    this.options = options;
  }

  getState = (): WebLLMSessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** What the WebGPU adapter supports (probed once). */
  probe(): Promise<WebGPUSupport> {
    this.support ??= (this.options.probe ?? (() => probeWebGPU()))();
    return this.support;
  }

  /**
   * Load a catalogue model: the q4f16_1 build when the adapter has shader-f16, else q4f32_1.
   * @param forceF32 Load the q4f32_1 build regardless (the "use the f32 build" action).
   */
  async loadFamily(family: WebLLMFamily, forceF32 = false): Promise<void> {
    const generation = ++this.generation;
    const support = await this.probe();
    if (generation !== this.generation) return;
    if (!support.available) {
      this.fail(null, `WebGPUNotAvailableError: ${support.reason ?? 'no WebGPU'}`);
      return;
    }
    const choice = forceF32
      ? { variant: family.f32, reason: 'The q4f32_1 build, as asked.' }
      : chooseVariant(family, support);
    await this.loadSpec(specFromCatalogue(family, choice.variant), choice.reason, generation);
  }

  /** Load a validated custom model (see validateCustomModel). */
  async loadCustom(spec: WebLLMModelSpec): Promise<void> {
    const generation = ++this.generation;
    const support = await this.probe();
    if (generation !== this.generation) return;
    if (!support.available) {
      this.fail(spec, `WebGPUNotAvailableError: ${support.reason ?? 'no WebGPU'}`);
      return;
    }
    if (spec.needsShaderF16 && !support.shaderF16) {
      this.fail(spec, 'ShaderF16SupportError: this model needs shader-f16, which this GPU lacks');
      return;
    }
    await this.loadSpec(spec, null, generation);
  }

  /** Stop a download (or drop a loaded model): terminates WebLLM's worker. */
  cancel(): void {
    this.generation++;
    this.stopWorker(CANCELLED);
    this.set({ status: 'idle' });
  }

  /**
   * Leave WebLLM for the embedded model: frees the GPU memory WebLLM holds. The caller switches
   * the app's model back to TinyMath (which was never unloaded).
   */
  backToTinyMath(): void {
    this.cancel();
  }

  /** A port to the loaded model for the engine worker (transfer it in a postMessage). */
  connectPort(): MessagePort {
    if (this.state.status !== 'ready' || !this.client) {
      throw new Error('No WebLLM model is loaded');
    }
    return this.client.connectPort();
  }

  /** Whether a model's weights are fully cached. */
  isCached(modelUrl: string): Promise<boolean> {
    return isModelCached(modelUrl, this.options.caches).catch(() => false);
  }

  /** Delete a model from WebLLM's cache (dropping it first if it is the loaded one). */
  async deleteFromCache(
    spec: Pick<WebLLMModelSpec, 'modelId' | 'modelUrl' | 'modelLibUrl'>,
  ): Promise<number> {
    const s = this.state;
    if ((s.status === 'ready' || s.status === 'loading') && s.spec.modelId === spec.modelId)
      this.cancel();
    return deleteModelFromCache(spec.modelUrl, spec.modelLibUrl, this.options.caches);
  }

  dispose(): void {
    this.generation++;
    this.stopWorker('WebLLM session closed');
    this.listeners.clear();
  }

  private async loadSpec(
    spec: WebLLMModelSpec,
    note: string | null,
    generation: number,
  ): Promise<void> {
    this.set({ status: 'loading', spec, progress: 0, text: 'Starting WebLLM…', note });
    const client = this.ensureClient();
    try {
      await client.load(spec.modelId, {
        ...(spec.customRecord ? { customRecord: spec.customRecord } : {}),
        onProgress: (report) => {
          if (generation !== this.generation) return;
          this.set({ status: 'loading', spec, progress: report.progress, text: report.text, note });
        },
      });
      if (generation !== this.generation) return;
      this.set({ status: 'ready', spec, info: modelInfoFromSpec(spec), note });
    } catch (e) {
      if (generation !== this.generation) return;
      // A failed load can leave GPU memory and a half-built engine behind: start clean next time.
      this.stopWorker('WebLLM worker stopped after a failed load');
      this.fail(spec, e);
    }
  }

  private ensureClient(): WebLLMClient {
    if (this.client) return this.client;
    const worker = (this.options.createWorker ?? defaultWorker)();
    const client = new WebLLMClient(worker);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      // The worker script itself failed (its chunk did not load, or it crashed).
      const reason = `WebLLM worker failed: ${event.message || 'the worker script could not run'}`;
      client.close(reason);
      if (this.worker === worker) {
        this.worker = null;
        this.client = null;
        // A pending load fails through its own promise; a loaded model is simply gone, and the
        // page must stop using it (the app follows the session out of 'ready').
        const s = this.state;
        if (s.status === 'ready') {
          this.set({
            status: 'error',
            spec: s.spec,
            error: classifyWebLLMError(reason, 'generate'),
          });
        }
      }
    };
    this.worker = worker;
    this.client = client;
    return client;
  }

  private stopWorker(reason: string): void {
    this.client?.close(reason);
    this.worker?.terminate();
    this.client = null;
    this.worker = null;
  }

  private fail(spec: WebLLMModelSpec | null, error: unknown): void {
    this.set({ status: 'error', spec, error: classifyWebLLMError(error, 'load') });
  }

  private set(state: WebLLMSessionState): void {
    this.state = state;
    for (const l of this.listeners) l();
  }
}
