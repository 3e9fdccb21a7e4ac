import { describe, expect, it } from 'vitest';
import { classifyWebLLMError, errorText, type WebLLMErrorKind } from './errors';

/** web-llm 0.2.86's own error classes, with their real names and messages. */
function webllmError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const SHADER_F16 = webllmError(
  'ShaderF16SupportError',
  'This model requires WebGPU extension shader-f16, which is not enabled in this browser. You can try to launch Chrome Canary in command line with flag "--enable-dawn-features=allow_unsafe_apis".',
);
const NO_WEBGPU = webllmError(
  'WebGPUNotAvailableError',
  'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine. Please make sure that your browser supports WebGPU and that it is enabled in your browser settings.',
);
const DEVICE_LOST = webllmError(
  'DeviceLostError',
  'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.',
);
const CONTEXT = webllmError(
  'ContextWindowSizeExceededError',
  'Prompt tokens exceed context window size: number of prompt tokens: 5000; context window size: 4096',
);

const CASES: [unknown, WebLLMErrorKind][] = [
  // Error objects, as thrown inside the worker.
  [SHADER_F16, 'no-shader-f16'],
  [NO_WEBGPU, 'no-webgpu'],
  [webllmError('WebGPUNotFoundError', 'Cannot find WebGPU in the environment'), 'no-webgpu'],
  [DEVICE_LOST, 'device-lost'],
  [CONTEXT, 'context-window'],
  [new TypeError('Failed to fetch'), 'network'],
  [new DOMException('The quota has been exceeded.', 'QuotaExceededError'), 'quota'],
  [new DOMException('The user aborted a request.', 'AbortError'), 'cancelled'],
  [
    webllmError(
      'ModelNotFoundError',
      'Cannot find model record in appConfig for Foo. Please check if the model ID is correct.',
    ),
    'load-failed',
  ],
  [new WebAssembly.CompileError('WebAssembly.instantiate(): expected magic word'), 'load-failed'],
  // The same errors as the plain strings that cross the worker boundary.
  [errorText(SHADER_F16), 'no-shader-f16'],
  [errorText(NO_WEBGPU), 'no-webgpu'],
  [errorText(DEVICE_LOST), 'device-lost'],
  [errorText(CONTEXT), 'context-window'],
  ['TypeError: Failed to fetch', 'network'],
  ['Failed to fetch', 'network'],
  ["TypeError: Failed to execute 'add' on 'Cache': Request failed", 'network'],
  ['TypeError: NetworkError when attempting to fetch resource.', 'network'],
  ['TypeError: Load failed', 'network'],
  ['net::ERR_INTERNET_DISCONNECTED', 'network'],
  ['QuotaExceededError: The quota has been exceeded.', 'quota'],
  ["QuotaExceededError: Failed to execute 'put' on 'Cache': Quota exceeded.", 'quota'],
  [
    'Device was lost. This can happen due to insufficient memory or other GPU constraints.',
    'device-lost',
  ],
  ['WebGPUNotAvailableError: This browser has no WebGPU (navigator.gpu is missing).', 'no-webgpu'],
  ['AbortError: download cancelled by the user', 'cancelled'],
  ['WebLLM worker failed: the worker script could not run', 'load-failed'],
  ['Something nobody expected', 'load-failed'],
];

describe('classifyWebLLMError', () => {
  it.each(CASES)('%s -> %s', (error, kind) => {
    expect(classifyWebLLMError(error).kind).toBe(kind);
  });

  it('keeps the original text as the detail and gives every kind a message and a hint', () => {
    const info = classifyWebLLMError('TypeError: Failed to fetch');
    expect(info.detail).toBe('TypeError: Failed to fetch');
    expect(info.title).toBe('The download failed');
    expect(info.retryable).toBe(true);
    for (const [error] of CASES) {
      const i = classifyWebLLMError(error);
      expect(i.title.length).toBeGreaterThan(5);
      expect(i.message.length).toBeGreaterThan(10);
      expect(i.hint.length).toBeGreaterThan(10);
    }
  });

  it('suggests the f32 build only for a missing shader-f16', () => {
    expect(classifyWebLLMError(SHADER_F16).suggestF32).toBe(true);
    expect(classifyWebLLMError(DEVICE_LOST).suggestF32).toBe(false);
  });

  it('falls back by phase when nothing matches', () => {
    expect(classifyWebLLMError('odd', 'load').kind).toBe('load-failed');
    expect(classifyWebLLMError('odd', 'generate').kind).toBe('generation-failed');
  });
});

describe('errorText', () => {
  it('writes name and message once, and handles strings and odd values', () => {
    expect(errorText(new TypeError('Failed to fetch'))).toBe('TypeError: Failed to fetch');
    expect(errorText(new Error('plain'))).toBe('plain');
    expect(errorText('as is')).toBe('as is');
    expect(errorText({ code: 3 })).toBe('{"code":3}');
    expect(errorText(new DOMException('Quota', 'QuotaExceededError'))).toBe(
      'QuotaExceededError: Quota',
    );
  });
});
