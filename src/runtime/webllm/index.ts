/**
 * The WebLLM backend. Nothing exported here imports @mlc-ai/web-llm at run time: the library is
 * loaded only inside WebLLM's own worker (webllm.worker.ts), on the first model load.
 * React components live in ./ui (import them from the page only).
 */
export * from './api';
export * from './cache';
export * from './catalogue';
export * from './client';
export * from './engineSide';
export * from './errors';
export * from './gpu';
export * from './host';
export * from './judge';
export * from './model';
export type { FromWebLLM, MessageEndpoint, ToWebLLM } from './protocol';
export * from './session';
export * from './templates';
