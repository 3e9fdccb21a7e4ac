/** The page's side of the engine worker: typed messages in and out. */
import type { FromWorker, ToWorker } from './protocol';

/** A message channel to the engine. The page code depends on this, not on `Worker`, for tests. */
export interface EngineChannel {
  /** @param transfer objects moved to the worker with the message (a WebLLM MessagePort) */
  post(message: ToWorker, transfer?: Transferable[]): void;
  /** Subscribe to the worker's messages; returns the unsubscribe function. */
  subscribe(listener: (message: FromWorker) => void): () => void;
  terminate(): void;
}

/**
 * Start an engine worker (a module worker bundled by Vite).
 * @param name shown in the browser's developer tools (sweep helpers are named apart)
 */
export function startEngineWorker(name = 'ttc-lab-engine'): EngineChannel {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), {
    type: 'module',
    name,
  });
  const listeners = new Set<(message: FromWorker) => void>();
  const emit = (message: FromWorker) => listeners.forEach((l) => l(message));
  worker.addEventListener('message', (e: MessageEvent<FromWorker>) => emit(e.data));
  worker.addEventListener('error', (e: ErrorEvent) => {
    // A worker that fails to load or throws at top level lands here; say so instead of hanging.
    e.preventDefault();
    emit({ type: 'worker-error', error: e.message || 'The engine worker failed to start.' });
  });
  worker.addEventListener('messageerror', () =>
    emit({ type: 'worker-error', error: 'A message from the engine worker could not be read.' }),
  );
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate: () => worker.terminate(),
  };
}
