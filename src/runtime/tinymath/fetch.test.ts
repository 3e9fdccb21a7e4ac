import { afterEach, describe, expect, it, vi } from 'vitest';
import { MODEL_CACHE_NAME, ModelCache, type LoadProgress } from './fetch';
import { syntheticExport } from './fixtures';
import { loadTinyMath } from './index';

/** A fake static server: files by URL, with an ETag per file version. */
function server(files: Map<string, Uint8Array>, version: { v: number }) {
  const log: string[] = [];
  const fetchImpl = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    log.push(`${method} ${url.replace('https://lab.test/models/', '')}`);
    const body = files.get(url);
    if (!body) return new Response('missing', { status: 404 });
    const headers = {
      etag: `"v${version.v}-${body.byteLength}"`,
      'content-length': String(body.byteLength),
    };
    return new Response(method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers,
    });
  });
  return { fetchImpl, log };
}

/** An in-memory CacheStorage, optionally full. */
function cacheStorage(opts: { full?: boolean } = {}) {
  const stores = new Map<string, Map<string, Response>>();
  const open = async (name: string) => {
    if (!stores.has(name)) stores.set(name, new Map());
    const m = stores.get(name)!;
    return {
      match: async (url: string) => m.get(url)?.clone(),
      put: async (url: string, r: Response) => {
        if (opts.full) throw new DOMException('quota', 'QuotaExceededError');
        m.set(url, new Response(await r.arrayBuffer(), { headers: r.headers }));
      },
      delete: async (url: string) => m.delete(url),
    } as unknown as Cache;
  };
  const storage = {
    keys: async () => [...stores.keys()],
    delete: async (name: string) => stores.delete(name),
    open,
  } as unknown as CacheStorage;
  return { storage, stores };
}

const FOLDERS = {
  generator: 'tinymath-gen',
  prm: 'tinymath-prm',
  revision: 'tinymath-rev',
} as const;

/**
 * One export's three files by URL.
 * @param folder where they are served (its own folder unless a test swaps them)
 */
function exportFiles(
  role: keyof typeof FOLDERS,
  seed: number,
  folder: string = FOLDERS[role],
): [string, Uint8Array][] {
  const e = syntheticExport({ nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 32, role }, seed, folder);
  const enc = new TextEncoder();
  const st = e.safetensors instanceof Uint8Array ? e.safetensors : new Uint8Array(e.safetensors);
  return [
    [`https://lab.test/models/${folder}/config.json`, enc.encode(e.config)],
    [`https://lab.test/models/${folder}/tokenizer.json`, enc.encode(e.tokenizer)],
    [`https://lab.test/models/${folder}/model.safetensors`, st],
  ];
}

const allFiles = (seed = 1) =>
  new Map([
    ...exportFiles('generator', seed),
    ...exportFiles('prm', seed + 1),
    ...exportFiles('revision', seed + 2),
  ]);

afterEach(() => vi.unstubAllGlobals());

describe('loadTinyMath over HTTP', () => {
  it('reports progress per file, caches the files, and reuses them while the ETag matches', async () => {
    const files = allFiles();
    const version = { v: 1 };
    const { fetchImpl, log } = server(files, version);
    const { storage, stores } = cacheStorage();
    await storage.open('ttc-lab-models-v0'); // an older version, to be deleted
    vi.stubGlobal('fetch', fetchImpl);
    vi.stubGlobal('caches', storage);
    const progress: LoadProgress[] = [];
    const first = await loadTinyMath({
      baseUrl: 'https://lab.test/models',
      backend: 'cpu',
      onProgress: (p) => progress.push(p),
    });
    expect(first.backend).toBe('cpu');
    expect(first.notice).toBeNull();
    expect([...stores.keys()]).toEqual([MODEL_CACHE_NAME]);
    expect(stores.get(MODEL_CACHE_NAME)!.size).toBe(9);
    const finals = progress.filter((p) => p.loaded === p.total && p.total > 0);
    expect(new Set(finals.map((p) => p.file))).toEqual(
      new Set(
        ['tinymath-gen', 'tinymath-prm', 'tinymath-rev'].flatMap((f) =>
          ['config.json', 'tokenizer.json', 'model.safetensors'].map((x) => `${f}/${x}`),
        ),
      ),
    );
    const st = finals.find((p) => p.file === 'tinymath-gen/model.safetensors')!;
    expect(st.total).toBe(
      files.get('https://lab.test/models/tinymath-gen/model.safetensors')!.byteLength,
    );

    log.length = 0;
    await loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' });
    expect(log.every((l) => l.startsWith('HEAD'))).toBe(true);

    // A new export on the server (new ETag): downloaded again.
    version.v = 2;
    log.length = 0;
    await loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' });
    expect(log.filter((l) => l.startsWith('GET'))).toHaveLength(9);
  });

  it('loads the revision model with the others, and routes revision prompts to it', async () => {
    vi.stubGlobal('fetch', server(allFiles(), { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', undefined);
    const tm = await loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' });
    expect(tm.revision.id).toBe('tinymath-rev');
    expect(tm.generator.revision).toBe(tm.revision);
    const request = { maxTokens: 6, temperature: 1, topP: 1, seed: 4 };
    const prompts = ['Q:1,+1\n', '1+1=3\nA:3\n-\nQ:1,+1\n'];
    const got = await tm.generator.generate({ ...request, prompts });
    const byRevision = await tm.revision.generate({ ...request, prompts });
    const byGenerator = await tm.generator.generator.generate({ ...request, prompts });
    expect(got.map((c) => c.text)).toEqual([byGenerator[0]!.text, byRevision[1]!.text]);
    tm.dispose();
  });

  it('requires the revision model: a missing one names its file', async () => {
    const files = allFiles();
    files.delete('https://lab.test/models/tinymath-rev/config.json');
    vi.stubGlobal('fetch', server(files, { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', undefined);
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/^tinymath-rev\/config\.json: HTTP 404/);
  });

  it('names the folder of a swapped export (a generator where the revision model belongs)', async () => {
    const files = new Map([
      ...exportFiles('generator', 1),
      ...exportFiles('prm', 2),
      ...exportFiles('generator', 3, 'tinymath-rev'),
    ]);
    vi.stubGlobal('fetch', server(files, { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', undefined);
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(
      /tinymath-rev\/config\.json: ttc_lab\.role is "generator", expected "revision"/,
    );
  });

  it('reports the first error in the order generator, PRM, revision model', async () => {
    const files = allFiles();
    const cut = (url: string) => files.set(url, files.get(url)!.slice(0, 500));
    cut('https://lab.test/models/tinymath-rev/model.safetensors');
    vi.stubGlobal('fetch', server(files, { v: 1 }).fetchImpl);
    const { storage, stores } = cacheStorage();
    vi.stubGlobal('caches', storage);
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/^tinymath-rev\/model\.safetensors: file is truncated/);
    expect(
      stores.get(MODEL_CACHE_NAME)?.has('https://lab.test/models/tinymath-rev/model.safetensors'),
    ).toBe(false);
    cut('https://lab.test/models/tinymath-prm/model.safetensors');
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/^tinymath-prm\/model\.safetensors: file is truncated/);
    // (Uncached: a cached generator would load while its server answers a HEAD with 404.)
    vi.stubGlobal('caches', undefined);
    files.delete('https://lab.test/models/tinymath-gen/config.json');
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/^tinymath-gen\/config\.json: HTTP 404/);
  });

  it('keeps working uncached when storage is full, and says so', async () => {
    vi.stubGlobal('fetch', server(allFiles(), { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', cacheStorage({ full: true }).storage);
    const tm = await loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' });
    expect(tm.notice).toMatch(/storage is full/);
    const [c] = await tm.generator.generate({
      prompts: ['Q:1\n'],
      maxTokens: 4,
      temperature: 0,
      topP: 1,
      seed: 0,
    });
    expect(c!.completionTokens).toBeGreaterThan(0);
  });

  it('names the file for a truncated download and does not cache it', async () => {
    const files = allFiles();
    const url = 'https://lab.test/models/tinymath-prm/model.safetensors';
    files.set(url, files.get(url)!.slice(0, 500));
    vi.stubGlobal('fetch', server(files, { v: 1 }).fetchImpl);
    const { storage, stores } = cacheStorage();
    vi.stubGlobal('caches', storage);
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/tinymath-prm\/model\.safetensors: file is truncated/);
    expect(stores.get(MODEL_CACHE_NAME)?.has(url)).toBe(false);
  });

  it('names the file for a missing one', async () => {
    const files = allFiles();
    files.delete('https://lab.test/models/tinymath-gen/tokenizer.json');
    vi.stubGlobal('fetch', server(files, { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', undefined);
    await expect(
      loadTinyMath({ baseUrl: 'https://lab.test/models/', backend: 'cpu' }),
    ).rejects.toThrow(/tinymath-gen\/tokenizer\.json: HTTP 404/);
  });

  it('works without the Cache API and without WebGPU (auto falls back to the CPU with a notice)', async () => {
    vi.stubGlobal('fetch', server(allFiles(), { v: 1 }).fetchImpl);
    vi.stubGlobal('caches', undefined);
    expect(await ModelCache.open()).toBeNull();
    const tm = await loadTinyMath({ baseUrl: new URL('https://lab.test/models/'), gpu: undefined });
    expect(tm.backend).toBe('cpu');
    expect(tm.notice).toMatch(/WebGPU is not available/);
    expect(tm.generator.label).toMatch(/\(CPU\)$/);
    expect(tm.revision.label).toMatch(/\(CPU\)$/);
    expect(tm.prm.kind).toBe('prm');
    tm.dispose();
  });
});
