// The worker thread's entry (sweepWorkers.ts): registers tsx in this thread, whose module loader is
// its own, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./sweepWorker.ts');
