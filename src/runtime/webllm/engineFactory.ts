/**
 * The real engine factory: imports web-llm on first use. Only webllm.worker.ts imports this
 * file, so the library lands in that worker's chunks and nowhere else.
 */
import type { WebLLMEngineFactory } from './host';

export const createMLCEngine: WebLLMEngineFactory = async ({ customRecord, onProgress }) => {
  const webllm = await import('@mlc-ai/web-llm');
  const prebuilt = webllm.prebuiltAppConfig;
  const appConfig = customRecord
    ? { ...prebuilt, model_list: [...prebuilt.model_list, customRecord] }
    : prebuilt;
  return new webllm.MLCEngine({ appConfig, initProgressCallback: onProgress });
};
