import { createWebLLMHost } from '../host';
import type { MessageEndpoint } from '../protocol';
import type { WorkerLike } from '../session';
import { fakeEngineFactory, type FakeWebLLMEngine } from './fakeEngine';

/** A stand-in for WebLLM's worker: the real host with a fake engine behind a MessageChannel. */
export function fakeWebLLMWorker(engine: FakeWebLLMEngine): WorkerLike & { terminated: boolean } {
  const channel = new MessageChannel();
  createWebLLMHost(fakeEngineFactory(engine)).connect(channel.port1 as unknown as MessageEndpoint);
  const port = channel.port2;
  const worker = {
    terminated: false,
    onerror: null,
    postMessage: (m: unknown, t?: Transferable[]) => port.postMessage(m, (t ?? []) as never),
    addEventListener: (type: 'message', l: (e: MessageEvent) => void) =>
      port.addEventListener(type, l as never),
    removeEventListener: (type: 'message', l: (e: MessageEvent) => void) =>
      port.removeEventListener(type, l as never),
    start: () => port.start(),
    terminate() {
      worker.terminated = true;
      channel.port1.close();
      port.close();
    },
  };
  return worker;
}
