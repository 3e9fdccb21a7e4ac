/**
 * The engine worker's side: a generator and an LLM-as-judge PRM on a WebLLM model that the page
 * loaded, reached through a MessagePort the page transferred (WebLLMSession.connectPort()).
 * The result has the shape of the app's LoadedModels, so a run can use it like TinyMath's.
 */
import { WebLLMClient } from './client';
import { WebLLMJudge } from './judge';
import { WebLLMModel, type WebLLMModelInfo, type WebLLMSpeedReport } from './model';
import type { MessageEndpoint } from './protocol';

export interface WebLLMModels {
  generator: WebLLMModel;
  /** LLM-as-judge PRM on the same model (kind 'judge'). */
  prm: WebLLMJudge;
  backend: 'webgpu';
  notice: string | null;
  dispose(): void;
}

/**
 * Build the WebLLM generator and judge in the engine worker.
 * @param port The port the page got from WebLLMSession.connectPort().
 * @param info The loaded model (WebLLMSession state `ready`.info), plain data.
 * @param onSpeed Receives prefill/decode speeds after every call (forward them to the page).
 */
export function createWebLLMModels(
  port: MessageEndpoint,
  info: WebLLMModelInfo,
  onSpeed?: (report: WebLLMSpeedReport) => void,
): WebLLMModels {
  const client = new WebLLMClient(port);
  return {
    generator: new WebLLMModel({ api: client, info, ...(onSpeed ? { onSpeed } : {}) }),
    prm: new WebLLMJudge({ api: client, info, ...(onSpeed ? { onSpeed } : {}) }),
    backend: 'webgpu',
    notice:
      'WebLLM runs one sample at a time (no batching): a budget of N samples takes N times as long as one.',
    dispose() {
      client.close('WebLLM models disposed');
      (port as Partial<MessagePort>).close?.();
    },
  };
}
