/// <reference lib="webworker" />
/**
 * The engine worker: models, strategy runs and sweeps run here so the page never freezes.
 * All logic is in handler.ts; this file only connects it to the worker global, TinyMath, and
 * (through a port the page hands over) a WebLLM model loaded in WebLLM's own worker.
 */
import { loadTinyMath, type LoadProgress } from '../../runtime/tinymath';
import { createWebLLMModels } from '../../runtime/webllm/engineSide';
import { createWorkerHandler } from './handler';
import { errorMessage, type FromWorker, type ToWorker } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker) => scope.postMessage(message);

/** Progress arrives per file; the page wants one fraction over all files. */
function progressAggregator(report: (fraction: number, message: string) => void) {
  const files = new Map<string, LoadProgress>();
  return (p: LoadProgress) => {
    files.set(p.file, p);
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += Math.max(f.total, f.loaded);
    }
    report(total > 0 ? loaded / total : 0, p.file);
  };
}

const handler = createWorkerHandler({
  post,
  loadModels: (baseUrl, backend, onProgress) =>
    loadTinyMath({
      baseUrl,
      backend,
      onProgress: progressAggregator(onProgress),
      // A GPU failure after loading switches TinyMath to the CPU; the page must say so.
      onNotice: (notice) => post({ type: 'models-notice', notice }),
    }),
  connectWebLLM: (port, info, onSpeed) => ({
    ...createWebLLMModels(port, info, onSpeed),
    family: 'chat',
  }),
});

scope.addEventListener('message', (e: MessageEvent<ToWorker>) => handler.handle(e.data));
scope.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  e.preventDefault();
  post({ type: 'worker-error', error: errorMessage(e.reason) });
});
