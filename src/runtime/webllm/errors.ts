/**
 * WebLLM failures mapped to messages a person can act on. Errors reach the page from two
 * workers away, as plain strings ("ShaderF16SupportError: This model requires ..." or just
 * "Failed to fetch"), so classification reads the text, never the class.
 */

export type WebLLMErrorKind =
  | 'no-webgpu'
  | 'no-shader-f16'
  | 'quota'
  | 'network'
  | 'device-lost'
  | 'context-window'
  | 'cancelled'
  | 'load-failed'
  | 'generation-failed';

export interface WebLLMErrorInfo {
  kind: WebLLMErrorKind;
  /** A short heading. */
  title: string;
  /** What happened, in plain words. */
  message: string;
  /** What the user can do next. */
  hint: string;
  /** The original error text, for the details disclosure. */
  detail: string;
  /** Whether trying the same model again can work (after fixing the network, freeing space...). */
  retryable: boolean;
  /** Whether the q4f32_1 build of the same model would avoid the problem. */
  suggestF32: boolean;
}

/** An error of any kind (Error, DOMException, string, object) as one line of text. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (
    error instanceof Error ||
    (typeof error === 'object' && error !== null && 'message' in error)
  ) {
    const e = error as { name?: unknown; message?: unknown };
    const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : '';
    if (name && message && !message.startsWith(name)) return `${name}: ${message}`;
    return message || name || 'Unknown error';
  }
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

interface Rule {
  kind: WebLLMErrorKind;
  test: RegExp;
}

// Order matters: the shader-f16 message mentions WebGPU, a quota error can surface from a
// fetch, and a lost device can follow any of them.
const RULES: readonly Rule[] = [
  {
    kind: 'cancelled',
    test: /\bAbortError\b|\baborted\b|cancelled by the user|download cancelled/i,
  },
  { kind: 'no-shader-f16', test: /shader-f16|ShaderF16SupportError|\bf16 shaders?\b/i },
  {
    kind: 'quota',
    test: /QuotaExceeded|\bquota\b|no space left|storage (is )?full|not enough (storage|disk|space)|exceeded the storage/i,
  },
  {
    kind: 'device-lost',
    test: /DeviceLostError|device (was |is )?lost|lost the (gpu )?device|GPUDeviceLostInfo|out of (gpu )?memory|\bOOM\b/i,
  },
  { kind: 'context-window', test: /context window size|context_window_size|exceed context/i },
  {
    kind: 'no-webgpu',
    test: /WebGPUNotAvailableError|WebGPUNotFoundError|WebGPU is not supported|Cannot find WebGPU|navigator\.gpu|no (usable )?(gpu|webgpu) adapter|requestAdapter|has no WebGPU/i,
  },
  {
    kind: 'network',
    test: /Failed to fetch|NetworkError|network (error|failure|request failed)|net::ERR|ERR_INTERNET_DISCONNECTED|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION|\bLoad failed\b|fetch failed|Request failed|Cannot fetch|\boffline\b|ECONNRESET|ETIMEDOUT|status (5\d\d|429)/i,
  },
];

const TEXTS: Record<WebLLMErrorKind, Omit<WebLLMErrorInfo, 'kind' | 'detail'>> = {
  'no-webgpu': {
    title: 'WebGPU is not available',
    message: 'Real models in the browser need WebGPU, and this browser or GPU does not offer it.',
    hint: 'Use a recent Chrome or Edge on a machine with a GPU (or enable WebGPU in the browser settings). TinyMath runs without it.',
    retryable: false,
    suggestF32: false,
  },
  'no-shader-f16': {
    title: 'This GPU lacks 16-bit shaders',
    message:
      'The q4f16 build of this model needs the WebGPU feature shader-f16, which this GPU does not offer.',
    hint: 'Load the q4f32_1 build of the same model instead; it needs no f16 support.',
    retryable: false,
    suggestF32: true,
  },
  quota: {
    title: 'Not enough storage for the model',
    message: 'The browser refused to store the model files: its storage quota is used up.',
    hint: 'Delete other cached models here, free disk space, or pick a smaller model. A private window has less storage.',
    retryable: true,
    suggestF32: false,
  },
  network: {
    title: 'The download failed',
    message:
      'The network failed while the model was downloading (or the model host could not be reached).',
    hint: 'Check the connection and try again: files already downloaded stay cached, so the download resumes where it stopped.',
    retryable: true,
    suggestF32: false,
  },
  'device-lost': {
    title: 'The GPU gave up',
    message: 'The WebGPU device was lost, most often because the model did not fit in GPU memory.',
    hint: 'Pick a smaller model, close other GPU-heavy tabs, or reload the page.',
    retryable: true,
    suggestF32: false,
  },
  'context-window': {
    title: 'The prompt is too long for this model',
    message: "The problem and the solution so far exceed the model's context window.",
    hint: 'Use fewer or shorter earlier attempts (revisions), a smaller token cap, or an easier problem.',
    retryable: false,
    suggestF32: false,
  },
  cancelled: {
    title: 'Download cancelled',
    message: 'The model download was stopped.',
    hint: 'Files already downloaded stay cached; loading again resumes from there.',
    retryable: true,
    suggestF32: false,
  },
  'load-failed': {
    title: 'The model failed to load',
    message:
      'WebLLM could not load this model (its files, library or configuration did not work here).',
    hint: 'Try again, try another model, or check the URLs of a custom model.',
    retryable: true,
    suggestF32: false,
  },
  'generation-failed': {
    title: 'The model failed while generating',
    message: 'WebLLM stopped with an error during a run.',
    hint: 'Start the run again, or reload the model.',
    retryable: true,
    suggestF32: false,
  },
};

/**
 * Classify a WebLLM failure.
 * @param error An Error, DOMException, or the plain string that crossed a worker boundary.
 * @param phase Whether it happened while loading the model or while generating; decides the
 *   kind when the text matches no known cause.
 */
export function classifyWebLLMError(
  error: unknown,
  phase: 'load' | 'generate' = 'load',
): WebLLMErrorInfo {
  const detail = errorText(error);
  const rule = RULES.find((r) => r.test.test(detail));
  const kind: WebLLMErrorKind =
    rule?.kind ?? (phase === 'load' ? 'load-failed' : 'generation-failed');
  return { kind, ...TEXTS[kind], detail };
}
