import { afterEach, describe, expect, it } from 'vitest';
import { WebLLMClient } from './client';
import type { MessageEndpoint } from './protocol';
import { connectToFakeHost, type HostConnection } from './testing/channel';
import { FakeWebLLMEngine } from './testing/fakeEngine';

let connection: HostConnection | null = null;
const ports: MessagePort[] = [];
afterEach(() => {
  connection?.close();
  connection = null;
  for (const p of ports.splice(0)) p.close();
});

const params = (prompt: string) => ({ prompt, max_tokens: 8 });

describe('WebLLM worker host and client', () => {
  it('loads through the engine factory, forwarding progress reports', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: ['a'] }),
      progress: [
        {
          progress: 0.25,
          timeElapsed: 1,
          text: 'Fetching param cache[1/4]: 10MB fetched. 25% completed',
        },
        { progress: 1, timeElapsed: 3, text: 'Finish loading on WebGPU - fake' },
      ],
    });
    connection = connectToFakeHost(engine);
    const seen: number[] = [];
    await connection.client.load('SmolLM2-360M-Instruct-q4f32_1-MLC', {
      onProgress: (r) => seen.push(r.progress),
    });
    expect(seen).toEqual([0.25, 1]);
    expect(engine.reloaded).toEqual(['SmolLM2-360M-Instruct-q4f32_1-MLC']);
  });

  it('passes a custom record to the factory', async () => {
    const engine = new FakeWebLLMEngine({ script: () => ({ tokens: ['a'] }) });
    connection = connectToFakeHost(engine);
    const record = {
      model: 'https://h.example/M',
      model_id: 'custom:M',
      model_lib: 'https://h.example/m.wasm',
    };
    await connection.client.load('custom:M', { customRecord: record });
    expect(connection.factory.calls[0]?.customRecord).toEqual(record);
  });

  it('turns a load failure into an Error carrying the worker string', async () => {
    const fetchError = new TypeError('Failed to fetch');
    connection = connectToFakeHost(
      new FakeWebLLMEngine({ script: () => ({ tokens: [] }), reloadError: fetchError }),
    );
    await expect(connection.client.load('Qwen3-0.6B-q4f32_1-MLC')).rejects.toThrow(
      'TypeError: Failed to fetch',
    );
  });

  it('fails a completion before any load with a clear message', async () => {
    connection = connectToFakeHost(new FakeWebLLMEngine({ script: () => ({ tokens: ['a'] }) }));
    await expect(connection.client.complete(params('x'))).rejects.toThrow(
      'No WebLLM model is loaded.',
    );
  });

  it('serves a second client on a port from connectPort (the engine worker)', async () => {
    const engine = new FakeWebLLMEngine({ script: (r) => ({ tokens: [`echo:${r.prompt}`] }) });
    connection = connectToFakeHost(engine);
    await connection.client.load('m');
    const port = connection.client.connectPort();
    ports.push(port);
    const second = new WebLLMClient(port as unknown as MessageEndpoint);
    const reply = await second.complete(params('hi'));
    expect(reply?.choices[0]?.text).toBe('echo:hi');
    second.close('done');
  });

  it('skips a queued request whose interrupt arrives before it starts', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: Array.from({ length: 30 }, () => 't') }),
      msPerToken: 1,
    });
    connection = connectToFakeHost(engine);
    await connection.client.load('m');
    const first = connection.client.complete({ prompt: 'first', max_tokens: 50 });
    const controller = new AbortController();
    const second = connection.client.complete(
      { prompt: 'second', max_tokens: 50 },
      controller.signal,
    );
    controller.abort();
    await expect(second).resolves.toBeNull();
    const done = await first;
    expect(done?.choices[0]?.finish_reason).toBe('stop');
    expect(engine.requests.map((r) => r.prompt)).toEqual(['first']);
    expect(engine.interrupts).toBe(0);
  });

  it('rejects pending requests when the client is closed (worker terminated)', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: Array.from({ length: 100 }, () => 't') }),
      msPerToken: 2,
    });
    connection = connectToFakeHost(engine);
    await connection.client.load('m');
    const pending = connection.client.complete({ prompt: 'p', max_tokens: 200 });
    connection.client.close('AbortError: download cancelled by the user');
    await expect(pending).rejects.toThrow('download cancelled');
    await expect(connection.client.complete(params('later'))).rejects.toThrow('download cancelled');
  });
});
