/**
 * Loading an export over HTTP (page or Web Worker: only fetch, caches and streams, no window or
 * document), with per-file progress and a Cache API copy under a versioned name.
 *
 * A cached file is used only while the server's validator (ETag, Last-Modified or size, from a
 * HEAD request) still matches, so a retrained export replaces the old one; offline, the cached
 * copy is used as is. Files are validated before they are cached, so a truncated download never
 * sticks. If storage is full, loading goes on uncached and a notice says so.
 */
import {
  EXPORT_FILES,
  ModelFormatError,
  parseExport,
  type ExportFiles,
  type TinyMathExport,
} from './format';

/**
 * Bump the suffix when the cached representation or the text format changes (v2: revision
 * prompts close each attempt with a separator line); older caches are deleted. A new export
 * folder needs no bump: files are cached by URL and revalidated by their validator, so
 * tinymath-rev's files joined v3 beside the others, and new weights in any folder (the revision
 * model's placeholder replaced) are downloaded again once the server's ETag changes.
 */
export const MODEL_CACHE_PREFIX = 'ttc-lab-models-';
export const MODEL_CACHE_NAME = `${MODEL_CACHE_PREFIX}v3`;

export interface LoadProgress {
  /** e.g. `tinymath-gen/model.safetensors` */
  file: string;
  loaded: number;
  total: number;
}

const VALIDATOR_HEADER = 'x-ttc-lab-validator';

/** The Cache API, if this context has it (secure contexts: https and localhost). */
export class ModelCache {
  /** Set when storage was full; loading continues without caching. */
  notice: string | null = null;
  private full = false;

  private constructor(private readonly cache: Cache) {}

  /** Open the current cache and delete older `ttc-lab-models-*` versions; null without Cache API. */
  static async open(name = MODEL_CACHE_NAME): Promise<ModelCache | null> {
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    if (!storage) return null;
    try {
      for (const key of await storage.keys()) {
        if (key.startsWith(MODEL_CACHE_PREFIX) && key !== name) await storage.delete(key);
      }
      return new ModelCache(await storage.open(name));
    } catch {
      // Some private modes throw on any storage access: run uncached.
      return null;
    }
  }

  match(url: string): Promise<Response | undefined> {
    return this.cache.match(url).catch(() => undefined);
  }

  async put(url: string, bytes: Uint8Array, validator: string | null): Promise<void> {
    if (this.full) return;
    const headers = new Headers({ 'content-length': String(bytes.byteLength) });
    if (validator) headers.set(VALIDATOR_HEADER, validator);
    try {
      await this.cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    } catch (e) {
      if ((e as { name?: string }).name === 'QuotaExceededError') {
        this.full = true;
        this.notice =
          'Browser storage is full, so the TinyMath models were not cached: they work now but will download again next time.';
      }
      // Any other cache failure only costs a re-download next time.
    }
  }

  delete(url: string): Promise<boolean> {
    return this.cache.delete(url).catch(() => false);
  }
}

/** Read a response body, reporting progress per chunk. */
async function readBody(
  response: Response,
  file: string,
  onProgress: ((p: LoadProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const stated = Number(response.headers.get('content-length') ?? 0);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.({ file, loaded: 0, total: stated });
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel();
      throw signal.reason instanceof Error
        ? signal.reason
        : new DOMException('Loading was aborted', 'AbortError');
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    // A compressed response states its compressed size; never report more than 100%.
    onProgress?.({ file, loaded, total: Math.max(stated, loaded) });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  onProgress?.({ file, loaded, total: loaded });
  return out;
}

function validatorOf(r: Response): string | null {
  return r.headers.get('etag') ?? r.headers.get('last-modified') ?? r.headers.get('content-length');
}

interface Fetched {
  url: string;
  bytes: Uint8Array;
  fromCache: boolean;
  validator: string | null;
}

async function fetchFile(
  url: string,
  file: string,
  cache: ModelCache | null,
  onProgress: ((p: LoadProgress) => void) | undefined,
  signal: AbortSignal | undefined,
  useCache: boolean,
): Promise<Fetched> {
  const cached = useCache && cache ? await cache.match(url) : undefined;
  let validator: string | null = null;
  if (cached) {
    let online = true;
    try {
      const head = await fetch(url, { method: 'HEAD', cache: 'no-store', signal });
      validator = head.ok ? validatorOf(head) : null;
    } catch (e) {
      if (signal?.aborted) throw e;
      online = false;
    }
    const stored = cached.headers.get(VALIDATOR_HEADER);
    if (!online || validator === null || stored === validator) {
      return {
        url,
        bytes: await readBody(cached, file, onProgress, signal),
        fromCache: true,
        validator: stored,
      };
    }
  }
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ModelFormatError(`${file}: could not download ${url} (${(e as Error).message})`);
  }
  if (!response.ok) throw new ModelFormatError(`${file}: HTTP ${response.status} from ${url}`);
  const bytes = await readBody(response, file, onProgress, signal);
  return { url, bytes, fromCache: false, validator: validatorOf(response) ?? validator };
}

/**
 * Download (or read from the cache), validate and cache one export folder.
 * @param baseUrl the folder that contains `name/` (e.g. `<app>/models/`)
 * @param name the export folder: `tinymath-gen`, `tinymath-prm` or `tinymath-rev`
 * @param role the role its config.json must declare (any, if undefined)
 */
export async function fetchExport(
  baseUrl: URL,
  name: string,
  role: TinyMathExport['config']['role'] | undefined,
  cache: ModelCache | null,
  onProgress?: (p: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<TinyMathExport> {
  const folder = new URL(`${name}/`, baseUrl);
  const load = (useCache: boolean): Promise<Fetched[]> =>
    Promise.all(
      EXPORT_FILES.map((f) =>
        fetchFile(new URL(f, folder).href, `${name}/${f}`, cache, onProgress, signal, useCache),
      ),
    );
  const parse = (fetched: Fetched[]): TinyMathExport => {
    const text = new TextDecoder();
    const files: ExportFiles = {
      name,
      config: text.decode(fetched[0]!.bytes),
      tokenizer: text.decode(fetched[1]!.bytes),
      safetensors: fetched[2]!.bytes,
    };
    return parseExport(files, role);
  };
  let fetched = await load(true);
  let parsed: TinyMathExport;
  try {
    parsed = parse(fetched);
  } catch (e) {
    if (!fetched.some((f) => f.fromCache)) throw e;
    // A cached copy that no longer parses (or mixes versions): drop it and download afresh.
    for (const f of fetched) if (f.fromCache) await cache?.delete(f.url);
    fetched = await load(false);
    parsed = parse(fetched);
  }
  for (const f of fetched) if (!f.fromCache) await cache?.put(f.url, f.bytes, f.validator);
  return parsed;
}
