import { describe, expect, it } from 'vitest';
import {
  deleteModelFromCache,
  isModelCached,
  webllmModelBaseUrl,
  type CacheLike,
  type CacheStorageLike,
} from './cache';

/** An in-memory CacheStorage with the Cache API's shape. */
function memoryCaches(
  initial: Record<string, Record<string, unknown>>,
): CacheStorageLike & { dump(): Record<string, string[]> } {
  const stores = new Map(
    Object.entries(initial).map(([name, entries]) => [name, new Map(Object.entries(entries))]),
  );
  const cache = (name: string): CacheLike => {
    const m = stores.get(name) ?? new Map<string, unknown>();
    stores.set(name, m);
    return {
      match: async (url) => (m.has(url) ? { json: async () => m.get(url) } : undefined),
      keys: async () => [...m.keys()].map((url) => ({ url })),
      delete: async (url) => m.delete(url),
    };
  };
  return {
    has: async (name) => stores.has(name),
    open: async (name) => cache(name),
    dump: () => Object.fromEntries([...stores].map(([n, m]) => [n, [...m.keys()]])),
  };
}

const MODEL = 'https://huggingface.co/mlc-ai/Qwen3-0.6B-q4f32_1-MLC';
const BASE = 'https://huggingface.co/mlc-ai/Qwen3-0.6B-q4f32_1-MLC/resolve/main/';
const LIB =
  'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/Qwen3-0.6B-q4f32_1_cs1k-webgpu.wasm';
const manifest = {
  records: [{ dataPath: 'params_shard_0.bin' }, { dataPath: 'params_shard_1.bin' }],
};

describe('webllmModelBaseUrl', () => {
  it('adds resolve/main/ as web-llm does, unless a revision is named', () => {
    expect(webllmModelBaseUrl(MODEL)).toBe(BASE);
    expect(webllmModelBaseUrl(`${MODEL}/`)).toBe(BASE);
    expect(webllmModelBaseUrl('https://h.example/m/resolve/v2/')).toBe(
      'https://h.example/m/resolve/v2/',
    );
  });
});

describe('isModelCached', () => {
  it('is true only when the manifest and every shard it lists are cached', async () => {
    const full = memoryCaches({
      'webllm/model': {
        [`${BASE}tensor-cache.json`]: manifest,
        [`${BASE}params_shard_0.bin`]: 1,
        [`${BASE}params_shard_1.bin`]: 1,
      },
    });
    expect(await isModelCached(MODEL, full)).toBe(true);
    const partial = memoryCaches({
      'webllm/model': { [`${BASE}tensor-cache.json`]: manifest, [`${BASE}params_shard_0.bin`]: 1 },
    });
    expect(await isModelCached(MODEL, partial)).toBe(false);
    expect(await isModelCached(MODEL, memoryCaches({}))).toBe(false);
    expect(await isModelCached(MODEL, undefined)).toBe(false);
  });
});

describe('deleteModelFromCache', () => {
  it("removes the model's weights, config and library, and nothing of other models", async () => {
    const other =
      'https://huggingface.co/mlc-ai/SmolLM2-360M-Instruct-q4f32_1-MLC/resolve/main/tensor-cache.json';
    const caches = memoryCaches({
      'webllm/model': {
        [`${BASE}tensor-cache.json`]: manifest,
        [`${BASE}params_shard_0.bin`]: 1,
        [`${BASE}tokenizer.json`]: 1,
        [other]: 1,
      },
      'webllm/config': { [`${BASE}mlc-chat-config.json`]: 1 },
      'webllm/wasm': { [LIB]: 1 },
    });
    expect(await deleteModelFromCache(MODEL, LIB, caches)).toBe(5);
    expect(caches.dump()).toEqual({
      'webllm/model': [other],
      'webllm/config': [],
      'webllm/wasm': [],
    });
  });
});
