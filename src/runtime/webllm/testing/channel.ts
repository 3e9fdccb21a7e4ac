/**
 * Test wiring: WebLLM's worker host with a fake engine on one end of a MessageChannel and a
 * WebLLMClient on the other, so tests cross the same structured-clone boundary as the app.
 */
import { WebLLMClient } from '../client';
import { createWebLLMHost } from '../host';
import type { MessageEndpoint } from '../protocol';
import { fakeEngineFactory, type FakeWebLLMEngine } from './fakeEngine';

export interface HostConnection {
  client: WebLLMClient;
  factory: ReturnType<typeof fakeEngineFactory>;
  /** Close the ports (Node keeps the process alive while a port is open). */
  close(): void;
}

export function connectToFakeHost(engine: FakeWebLLMEngine): HostConnection {
  const factory = fakeEngineFactory(engine);
  const host = createWebLLMHost(factory);
  const channel = new MessageChannel();
  host.connect(channel.port1 as unknown as MessageEndpoint);
  const client = new WebLLMClient(channel.port2 as unknown as MessageEndpoint);
  return {
    client,
    factory,
    close() {
      client.close('test finished');
      channel.port1.close();
      channel.port2.close();
    },
  };
}
