import type { ControllerEnv } from '../controller';
import type { EngineChannel } from '../worker/client';
import type { FromWorker, ToWorker } from '../worker/protocol';

/**
 * Fakes around an AppController for tests: an engine channel that records what is sent (and
 * transferred), a location hash with listeners, and timers that run when the test says so.
 */
export function controllerFakes(initialHash = '', dataBaseUrl = 'http://localhost/') {
  const sent: ToWorker[] = [];
  const transfers: Transferable[][] = [];
  const listeners = new Set<(m: FromWorker) => void>();
  const engine: EngineChannel = {
    post: (m, transfer) => {
      sent.push(m);
      if (transfer) transfers.push(transfer);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    terminate() {},
  };
  let hash = initialHash;
  const hashListeners = new Set<() => void>();
  const timers = new Map<number, () => void>();
  let nextTimer = 1;
  const env: ControllerEnv = {
    getHash: () => hash,
    replaceHash: (h) => {
      hash = `#${h}`;
    },
    onHashChange(l) {
      hashListeners.add(l);
      return () => hashListeners.delete(l);
    },
    requestFrame: () => 0,
    cancelFrame() {},
    setTimeout(cb) {
      timers.set(nextTimer, cb);
      return nextTimer++;
    },
    clearTimeout(h) {
      timers.delete(h);
    },
    modelsBaseUrl: 'http://localhost/models/',
    dataBaseUrl,
    backend: 'auto',
  };
  return {
    sent,
    transfers,
    engine,
    env,
    emit: (m: FromWorker) => listeners.forEach((l) => l(m)),
    hash: () => hash,
    navigate(h: string) {
      hash = h;
      hashListeners.forEach((l) => l());
    },
    runTimers() {
      const all = [...timers.values()];
      timers.clear();
      all.forEach((cb) => cb());
    },
  };
}
