/// <reference lib="webworker" />
/**
 * WebLLM's own worker: the only code that imports @mlc-ai/web-llm (lazily, on the first load).
 * The page creates it when the user picks a WebLLM model and terminates it to cancel a
 * download; clients talk to it with WebLLMClient (protocol.ts).
 */
import { createMLCEngine } from './engineFactory';
import { createWebLLMHost } from './host';
import type { MessageEndpoint } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
createWebLLMHost(createMLCEngine).connect(scope as unknown as MessageEndpoint);
