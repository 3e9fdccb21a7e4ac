/**
 * Whether a model is in WebLLM's browser cache, and deleting it, without loading the library.
 * Mirrors web-llm 0.2.86 with its default "cache" backend (the Cache API): weights and
 * tokenizer under "webllm/model", the chat config under "webllm/config", the model library
 * under "webllm/wasm", each keyed by URL. hasModelInCache there checks exactly this: the
 * weights manifest (tensor-cache.json) and every shard it lists.
 */

export const WEBLLM_CACHE_NAMES = {
  model: 'webllm/model',
  config: 'webllm/config',
  wasm: 'webllm/wasm',
} as const;

/** The part of CacheStorage used here (tests pass an in-memory one). */
export interface CacheStorageLike {
  has(name: string): Promise<boolean>;
  open(name: string): Promise<CacheLike>;
}

export interface CacheLike {
  match(request: string): Promise<{ json(): Promise<unknown> } | undefined>;
  keys(): Promise<readonly { url: string }[]>;
  delete(request: string): Promise<boolean>;
}

/**
 * The folder WebLLM fetches a model's files from: its model URL with "/resolve/main/" added
 * unless the URL already names a revision (web-llm's cleanModelUrl). Self-hosted weights must
 * therefore sit under ".../resolve/main/" or be given with their own "/resolve/<rev>/".
 */
export function webllmModelBaseUrl(modelUrl: string): string {
  let url = modelUrl.endsWith('/') ? modelUrl : `${modelUrl}/`;
  if (!/.+\/resolve\/.+\//.test(url)) url += 'resolve/main/';
  return new URL(url).href;
}

function defaultCaches(): CacheStorageLike | undefined {
  return (globalThis as { caches?: CacheStorageLike }).caches;
}

/**
 * Whether every file of a model's weights is cached.
 * @param modelUrl The model record's `model` URL.
 * @param storage The browser's CacheStorage; without one (Node, an insecure page) nothing is cached.
 */
export async function isModelCached(
  modelUrl: string,
  storage: CacheStorageLike | undefined = defaultCaches(),
): Promise<boolean> {
  if (!storage || !(await storage.has(WEBLLM_CACHE_NAMES.model))) return false;
  const cache = await storage.open(WEBLLM_CACHE_NAMES.model);
  const base = webllmModelBaseUrl(modelUrl);
  const manifest = await cache.match(new URL('tensor-cache.json', base).href);
  if (!manifest) return false;
  const records = ((await manifest.json()) as { records?: { dataPath?: string }[] }).records ?? [];
  const keys = new Set((await cache.keys()).map((r) => r.url));
  return records.every(
    (r) => typeof r.dataPath === 'string' && keys.has(new URL(r.dataPath, base).href),
  );
}

/**
 * Delete a model's weights, tokenizer, chat config and model library from the cache.
 * @returns How many cache entries were deleted.
 */
export async function deleteModelFromCache(
  modelUrl: string,
  modelLibUrl: string,
  storage: CacheStorageLike | undefined = defaultCaches(),
): Promise<number> {
  if (!storage) return 0;
  const base = webllmModelBaseUrl(modelUrl);
  let deleted = 0;
  for (const name of [WEBLLM_CACHE_NAMES.model, WEBLLM_CACHE_NAMES.config]) {
    if (!(await storage.has(name))) continue;
    const cache = await storage.open(name);
    for (const request of await cache.keys()) {
      if (request.url.startsWith(base) && (await cache.delete(request.url))) deleted++;
    }
  }
  if (await storage.has(WEBLLM_CACHE_NAMES.wasm)) {
    const wasm = await storage.open(WEBLLM_CACHE_NAMES.wasm);
    if (await wasm.delete(modelLibUrl)) deleted++;
  }
  return deleted;
}
