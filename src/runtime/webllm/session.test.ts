import { afterEach, describe, expect, it } from 'vitest';
import { WEBLLM_CATALOGUE } from './catalogue';
import { probeWebGPU, type WebGPUSupport } from './gpu';
import { WebLLMSession, type WebLLMSessionState } from './session';
import { FakeWebLLMEngine } from './testing/fakeEngine';
import { fakeWebLLMWorker } from './testing/fakeWorker';

const GPU_F16: WebGPUSupport = {
  available: true,
  shaderF16: true,
  fallbackAdapter: false,
  reason: null,
};
const GPU_NO_F16: WebGPUSupport = { ...GPU_F16, shaderF16: false };
const qwenMath = WEBLLM_CATALOGUE[0];
if (!qwenMath) throw new Error('catalogue empty');

const sessions: WebLLMSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

function session(
  probe: WebGPUSupport,
  engine: FakeWebLLMEngine,
  workers: ReturnType<typeof fakeWebLLMWorker>[] = [],
) {
  const s = new WebLLMSession({
    probe: async () => probe,
    createWorker: () => {
      const w = fakeWebLLMWorker(engine);
      workers.push(w);
      return w;
    },
  });
  sessions.push(s);
  return s;
}

describe('WebLLMSession', () => {
  it('without WebGPU shows the no-WebGPU error and never starts the worker', async () => {
    const workers: ReturnType<typeof fakeWebLLMWorker>[] = [];
    const s = session(
      {
        available: false,
        shaderF16: false,
        fallbackAdapter: false,
        reason: 'This browser has no WebGPU (navigator.gpu is missing).',
      },
      new FakeWebLLMEngine({ script: () => ({ tokens: [] }) }),
      workers,
    );
    await s.loadFamily(qwenMath);
    const state = s.getState();
    expect(state.status).toBe('error');
    expect(state.status === 'error' && state.error.kind).toBe('no-webgpu');
    expect(workers).toHaveLength(0);
  });

  it('loads the q4f32_1 build on an adapter without shader-f16, with progress, then is ready', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: ['ok'] }),
      progress: [{ progress: 0.5, timeElapsed: 1, text: 'Fetching param cache[1/2]' }],
    });
    const s = session(GPU_NO_F16, engine);
    const seen: WebLLMSessionState[] = [];
    s.subscribe(() => seen.push(s.getState()));
    await s.loadFamily(qwenMath);
    expect(engine.reloaded).toEqual(['Qwen2.5-Math-1.5B-Instruct-q4f32_1-MLC']);
    expect(seen.map((x) => x.status)).toEqual(['loading', 'loading', 'ready']);
    expect(seen[1]).toMatchObject({ progress: 0.5, text: 'Fetching param cache[1/2]' });
    const ready = s.getState();
    expect(ready.status === 'ready' && ready.info).toEqual({
      modelId: 'Qwen2.5-Math-1.5B-Instruct-q4f32_1-MLC',
      label: 'Qwen2.5-Math 1.5B Instruct (q4f32_1)',
      template: 'qwen2.5-math',
      parameterCount: 1.54e9,
      contextWindow: 4096,
    });
    expect(ready.status === 'ready' && ready.note).toMatch(/shader-f16/);
  });

  it('loads the q4f16_1 build when the adapter has shader-f16, unless f32 is forced', async () => {
    const engine = new FakeWebLLMEngine({ script: () => ({ tokens: ['ok'] }) });
    const s = session(GPU_F16, engine);
    await s.loadFamily(qwenMath);
    await s.loadFamily(qwenMath, true);
    expect(engine.reloaded).toEqual([
      'Qwen2.5-Math-1.5B-Instruct-q4f16_1-MLC',
      'Qwen2.5-Math-1.5B-Instruct-q4f32_1-MLC',
    ]);
  });

  it('maps a network failure during the download to a clear, retryable error and stops the worker', async () => {
    const workers: ReturnType<typeof fakeWebLLMWorker>[] = [];
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: [] }),
      reloadError: new TypeError('Failed to fetch'),
    });
    const s = session(GPU_F16, engine, workers);
    await s.loadFamily(qwenMath);
    const state = s.getState();
    expect(state.status).toBe('error');
    if (state.status !== 'error') return;
    expect(state.error).toMatchObject({
      kind: 'network',
      retryable: true,
      detail: 'TypeError: Failed to fetch',
    });
    expect(state.spec?.modelId).toBe('Qwen2.5-Math-1.5B-Instruct-q4f16_1-MLC');
    expect(workers[0]?.terminated).toBe(true);
  });

  it('refuses a custom f16 model on an adapter without shader-f16 before downloading', async () => {
    const workers: ReturnType<typeof fakeWebLLMWorker>[] = [];
    const s = session(
      GPU_NO_F16,
      new FakeWebLLMEngine({ script: () => ({ tokens: [] }) }),
      workers,
    );
    await s.loadCustom({
      modelId: 'custom:M-q4f16_1-MLC',
      label: 'M (custom)',
      template: 'chatml',
      parameterCount: 1e9,
      contextWindow: 2048,
      modelUrl: 'https://h.example/M-q4f16_1-MLC',
      modelLibUrl: 'https://h.example/m.wasm',
      needsShaderF16: true,
      vramMB: null,
    });
    const state = s.getState();
    expect(state.status === 'error' && state.error.kind).toBe('no-shader-f16');
    expect(workers).toHaveLength(0);
  });

  it('cancel terminates the worker, returns to idle, and a later load starts a fresh worker', async () => {
    const workers: ReturnType<typeof fakeWebLLMWorker>[] = [];
    const engine = new FakeWebLLMEngine({ script: () => ({ tokens: ['ok'] }) });
    const s = session(GPU_F16, engine, workers);
    const loading = s.loadFamily(qwenMath);
    await new Promise((r) => setTimeout(r, 0));
    s.cancel();
    await loading;
    expect(s.getState()).toEqual({ status: 'idle' });
    expect(workers[0]?.terminated).toBe(true);
    await s.loadFamily(qwenMath);
    expect(s.getState().status).toBe('ready');
    expect(workers).toHaveLength(2);
  });

  it('a WebLLM worker that crashes after loading takes the session out of ready, with the reason', async () => {
    const workers: ReturnType<typeof fakeWebLLMWorker>[] = [];
    const s = session(
      GPU_F16,
      new FakeWebLLMEngine({ script: () => ({ tokens: ['ok'] }) }),
      workers,
    );
    await s.loadFamily(qwenMath);
    expect(s.getState().status).toBe('ready');
    const worker = workers[0];
    if (!worker?.onerror) throw new Error('the session did not listen for worker errors');
    worker.onerror({
      message: 'Uncaught DeviceLostError: GPU device was lost',
      preventDefault() {},
    } as ErrorEvent);
    const state = s.getState();
    expect(state.status).toBe('error');
    expect(state.status === 'error' && state.error.kind).toBe('device-lost');
    expect(() => s.connectPort()).toThrow(/No WebLLM model/);
  });

  it('hands out a port to the loaded model only when ready', async () => {
    const s = session(GPU_F16, new FakeWebLLMEngine({ script: () => ({ tokens: ['ok'] }) }));
    expect(() => s.connectPort()).toThrow(/No WebLLM model/);
    await s.loadFamily(qwenMath);
    const port = s.connectPort();
    expect(port).toBeInstanceOf(MessagePort);
    port.close();
  });
});

describe('probeWebGPU', () => {
  const adapter = (features: string[], fallback = false) => ({
    features: new Set(features),
    info: { isFallbackAdapter: fallback },
  });

  it('reads shader-f16 from the adapter itself', async () => {
    expect(await probeWebGPU({ requestAdapter: async () => adapter(['shader-f16']) })).toEqual({
      available: true,
      shaderF16: true,
      fallbackAdapter: false,
      reason: null,
    });
    expect((await probeWebGPU({ requestAdapter: async () => adapter([], true) })).shaderF16).toBe(
      false,
    );
    expect(
      (await probeWebGPU({ requestAdapter: async () => adapter([], true) })).fallbackAdapter,
    ).toBe(true);
  });

  it('reports no WebGPU, no adapter and a failing adapter request', async () => {
    expect(await probeWebGPU(undefined)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/no WebGPU/),
    });
    expect(await probeWebGPU({ requestAdapter: async () => null })).toMatchObject({
      available: false,
    });
    expect(
      await probeWebGPU({
        requestAdapter: async () => {
          throw new Error('boom');
        },
      }),
    ).toMatchObject({ available: false, reason: expect.stringMatching(/boom/) });
  });
});
