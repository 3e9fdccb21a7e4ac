/// <reference types="@webgpu/types" />
/**
 * The TinyMath runtime's public API: load the embedded generator and PRM, on WebGPU where a
 * real adapter exists and on the CPU otherwise.
 *
 * Browser (page or Web Worker):
 *   const tm = await loadTinyMath({ baseUrl: new URL('models/', location.href), onProgress });
 *   const [c] = await tm.generator.generate({ prompts: ['Q:5,+3\n'], maxTokens: 40, temperature: 0.8, topP: 1, seed: 1 });
 * Node:
 *   const tm = await loadTinyMathFromDir('public/models');
 */
import type { LanguageModel, Verifier } from '../../engine/types';
import { ModelCache, fetchExport, type LoadProgress } from './fetch';
import { parseExport, type TinyMathExport } from './format';
import { TinyMathModel } from './model';
import { readExportDir } from './node-files';
import { TinyMathPrm } from './prm';
import { TinyMathRuntime, type BackendPreference } from './runtime';

export type { LoadProgress } from './fetch';
export { MODEL_CACHE_NAME } from './fetch';
export { ModelFormatError } from './format';
export { BackendLostError } from './backend';
export type { BackendPreference } from './runtime';
export { TinyMathModel } from './model';
export { TinyMathPrm } from './prm';

/** Export folder names under `baseUrl` (or the directory given to loadTinyMathFromDir). */
export const GENERATOR_FOLDER = 'tinymath-gen';
export const PRM_FOLDER = 'tinymath-prm';

export interface TinyMathBundle {
  generator: LanguageModel;
  prm: Verifier;
  /** The backend in use now; it becomes 'cpu' if the GPU fails later. */
  readonly backend: 'cpu' | 'webgpu';
  /** Why the CPU is used when WebGPU was possible or asked for, or a storage warning; null if none. */
  readonly notice: string | null;
  /** Free GPU memory and the device; the models must not be used afterwards. */
  dispose(): void;
}

export interface TinyMathOptions {
  /** `auto` (default): WebGPU on a hardware adapter, else the CPU. `webgpu` also accepts software adapters. */
  backend?: BackendPreference;
  /** Bytes per file as they arrive (from the network, the cache or the disk). */
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Called when the notice changes after loading (a GPU failure switched to the CPU). */
  onNotice?: (notice: string) => void;
  /** The WebGPU entry point; defaults to `navigator.gpu`. In Node, pass Dawn's (`create([])` from `webgpu`). */
  gpu?: GPU;
}

export interface LoadTinyMathOptions extends TinyMathOptions {
  /** The folder containing `tinymath-gen/` and `tinymath-prm/` (e.g. `new URL('models/', location.href)`). */
  baseUrl: string | URL;
}

function defaultGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

class Bundle implements TinyMathBundle {
  readonly generator: TinyMathModel;
  readonly prm: TinyMathPrm;
  private readonly loadNotice: string | null;

  constructor(
    private readonly runtime: TinyMathRuntime,
    generator: TinyMathExport,
    prm: TinyMathExport,
    storageNotice: string | null,
  ) {
    this.generator = new TinyMathModel(generator, runtime);
    this.prm = new TinyMathPrm(prm, runtime);
    this.loadNotice = storageNotice;
  }

  get backend(): 'cpu' | 'webgpu' {
    return this.runtime.backendName;
  }

  get notice(): string | null {
    const parts = [this.runtime.notice, this.loadNotice].filter((s): s is string => s !== null);
    return parts.length > 0 ? parts.join(' ') : null;
  }

  dispose(): void {
    this.runtime.dispose();
  }
}

/**
 * Build a bundle from two parsed exports (any source).
 * @param options backend preference, GPU entry point and notice listener
 */
export async function createTinyMath(
  generator: TinyMathExport,
  prm: TinyMathExport,
  options: TinyMathOptions = {},
  storageNotice: string | null = null,
): Promise<TinyMathBundle> {
  const runtime = await TinyMathRuntime.create(
    generator,
    prm,
    options.backend ?? 'auto',
    options.gpu ?? defaultGpu(),
  );
  if (options.onNotice) runtime.onNotice(options.onNotice);
  return new Bundle(runtime, generator, prm, storageNotice);
}

/**
 * Wait for both loads (they run at once). If either fails, throw the first one's error in
 * argument order (the generator's), not in time order, so the message never depends on timing.
 */
async function bothOrFirstError<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/**
 * Load the generator and the PRM over HTTP, from the network or the versioned Cache API copy.
 * Works in a page and in a Web Worker.
 * @throws ModelFormatError naming the file (and tensor) for a missing, truncated or malformed export
 */
export async function loadTinyMath(options: LoadTinyMathOptions): Promise<TinyMathBundle> {
  const base = new URL(
    String(options.baseUrl),
    (globalThis as { location?: { href: string } }).location?.href,
  );
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const cache = await ModelCache.open();
  const [generator, prm] = await bothOrFirstError(
    fetchExport(base, GENERATOR_FOLDER, 'generator', cache, options.onProgress, options.signal),
    fetchExport(base, PRM_FOLDER, 'prm', cache, options.onProgress, options.signal),
  );
  return createTinyMath(generator, prm, options, cache?.notice ?? null);
}

/**
 * Load the generator and the PRM from disk (Node only: command line, tests, benchmark).
 * @param dir the folder containing `tinymath-gen/` and `tinymath-prm/` (e.g. `public/models`)
 * @param options as for loadTinyMath; with `backend: 'webgpu'` and no `gpu`, Dawn (the `webgpu`
 *   package) is loaded; `auto` without `gpu` uses the CPU
 */
export async function loadTinyMathFromDir(
  dir: string,
  options: TinyMathOptions = {},
): Promise<TinyMathBundle> {
  const join = (name: string): string => `${dir.replace(/\/+$/, '')}/${name}`;
  const [generator, prm] = await bothOrFirstError(
    readExportDir(join(GENERATOR_FOLDER), options.onProgress).then((f) =>
      parseExport(f, 'generator'),
    ),
    readExportDir(join(PRM_FOLDER), options.onProgress).then((f) => parseExport(f, 'prm')),
  );
  let gpu = options.gpu;
  if (!gpu && options.backend === 'webgpu') gpu = await dawnGpu();
  return createTinyMath(generator, prm, { ...options, gpu });
}

/**
 * Dawn instances by flags. Held for the life of the process: a Dawn instance that is
 * garbage-collected while its devices live crashes Node.
 */
const dawnInstances = new Map<string, GPU>();

/** Dawn's GPU object in Node (one per set of flags), or undefined when the `webgpu` package cannot load. */
export async function dawnGpu(flags: string[] = []): Promise<GPU | undefined> {
  const key = flags.join('\n');
  const known = dawnInstances.get(key);
  if (known) return known;
  try {
    const spec = 'webgpu';
    const mod = (await import(/* @vite-ignore */ spec)) as {
      create: (flags: string[]) => GPU;
      globals: object;
    };
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create(flags);
    dawnInstances.set(key, gpu);
    return gpu;
  } catch {
    return undefined;
  }
}
