/// <reference types="@webgpu/types" />
/**
 * The TinyMath runtime's public API: load the embedded generator, revision model and PRM, on
 * WebGPU where a real adapter exists and on the CPU otherwise. `generator` is one LanguageModel
 * that sends revision prompts (those holding an earlier attempt) to the revision model.
 *
 * Browser (page or Web Worker):
 *   const tm = await loadTinyMath({ baseUrl: new URL('models/', location.href), onProgress });
 *   const [c] = await tm.generator.generate({ prompts: ['Q:5,+3\n'], maxTokens: 40, temperature: 0.8, topP: 1, seed: 1 });
 * Node:
 *   const tm = await loadTinyMathFromDir('public/models');
 */
import type { Verifier } from '../../engine/types';
import { ModelCache, fetchExport, type LoadProgress } from './fetch';
import { ModelFormatError, parseExport, type TinyMathExport } from './format';
import { TinyMathModel } from './model';
import { readExportDir } from './node-files';
import { TinyMathPrm } from './prm';
import { RoutedGenerator } from './router';
import { TinyMathRuntime, type BackendPreference, type TinyMathExports } from './runtime';

export type { LoadProgress } from './fetch';
export { MODEL_CACHE_NAME } from './fetch';
export { ModelFormatError } from './format';
export { BackendLostError } from './backend';
export type { BackendPreference } from './runtime';
export { TinyMathModel } from './model';
export { TinyMathPrm } from './prm';
export { RoutedGenerator, routesToRevision } from './router';
export type { TinyMathExports } from './runtime';
export { TINYMATH_MODELS, TINYMATH_MODEL_ROLES } from './names';

/** Export folder names under `baseUrl` (or the directory given to loadTinyMathFromDir). */
export const GENERATOR_FOLDER = 'tinymath-gen';
export const PRM_FOLDER = 'tinymath-prm';
export const REVISION_FOLDER = 'tinymath-rev';

/** Every folder a load reads, in the order its errors are reported. */
export const MODEL_FOLDERS = [GENERATOR_FOLDER, PRM_FOLDER, REVISION_FOLDER] as const;

export interface TinyMathBundle {
  /**
   * The LanguageModel the engine sees: plain prompts go to the generator, prompts that hold an
   * earlier attempt to the revision model (router.ts). Its `generator` and `revision` are the
   * two models alone.
   */
  generator: RoutedGenerator;
  /** The revision model alone (the same object as `generator.revision`). */
  revision: TinyMathModel;
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
  /** The folder containing `tinymath-gen/`, `tinymath-prm/` and `tinymath-rev/` (e.g. `new URL('models/', location.href)`). */
  baseUrl: string | URL;
}

function defaultGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/**
 * Memory for revision prompts kept between calls (prefixCache.ts). Each round of a revision chain
 * adds an attempt before the question, so a revision prompt rarely begins with an earlier one:
 * a quarter of the generator's budget.
 */
const REVISION_CACHE_BYTES = 4 * 2 ** 20;

class Bundle implements TinyMathBundle {
  readonly generator: RoutedGenerator;
  readonly revision: TinyMathModel;
  readonly prm: TinyMathPrm;
  private readonly loadNotice: string | null;

  constructor(
    private readonly runtime: TinyMathRuntime,
    exports: TinyMathExports,
    storageNotice: string | null,
  ) {
    this.revision = new TinyMathModel(exports.revision, runtime, {
      cacheBytes: REVISION_CACHE_BYTES,
    });
    this.generator = new RoutedGenerator(
      new TinyMathModel(exports.generator, runtime),
      this.revision,
    );
    this.prm = new TinyMathPrm(exports.prm, runtime);
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
 * Build a bundle from the three parsed exports (any source).
 * @param exports the generator, the PRM and the revision model; each must have its role
 * @param options backend preference, GPU entry point and notice listener
 * @throws ModelFormatError naming the config.json of an export given in another's place
 */
export async function createTinyMath(
  exports: TinyMathExports,
  options: TinyMathOptions = {},
  storageNotice: string | null = null,
): Promise<TinyMathBundle> {
  for (const role of ['generator', 'prm', 'revision'] as const) {
    const e = exports[role];
    if (e.config.role !== role)
      throw new ModelFormatError(
        `${e.name}/config.json: ttc_lab.role is "${e.config.role}", expected "${role}"`,
      );
  }
  const runtime = await TinyMathRuntime.create(
    exports,
    options.backend ?? 'auto',
    options.gpu ?? defaultGpu(),
  );
  if (options.onNotice) runtime.onNotice(options.onNotice);
  return new Bundle(runtime, exports, storageNotice);
}

/**
 * Wait for the three loads (they run at once). If any fails, throw the first one's error in the
 * fixed order generator, PRM, revision model, not in time order, so the message never depends
 * on timing.
 */
async function allOrFirstError(
  generator: Promise<TinyMathExport>,
  prm: Promise<TinyMathExport>,
  revision: Promise<TinyMathExport>,
): Promise<TinyMathExports> {
  const settled = await Promise.allSettled([generator, prm, revision]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const [g, p, r] = settled.map((s) => (s as PromiseFulfilledResult<TinyMathExport>).value);
  return { generator: g!, prm: p!, revision: r! };
}

/**
 * Load the generator, the PRM and the revision model over HTTP, from the network or the
 * versioned Cache API copy. Works in a page and in a Web Worker. All three are required.
 * @throws ModelFormatError naming the file (and tensor) for a missing, truncated or malformed
 *   export, or one in another's folder
 */
export async function loadTinyMath(options: LoadTinyMathOptions): Promise<TinyMathBundle> {
  const base = new URL(
    String(options.baseUrl),
    (globalThis as { location?: { href: string } }).location?.href,
  );
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const cache = await ModelCache.open();
  const fetchOne = (folder: string, role: 'generator' | 'prm' | 'revision') =>
    fetchExport(base, folder, role, cache, options.onProgress, options.signal);
  const exports = await allOrFirstError(
    fetchOne(GENERATOR_FOLDER, 'generator'),
    fetchOne(PRM_FOLDER, 'prm'),
    fetchOne(REVISION_FOLDER, 'revision'),
  );
  return createTinyMath(exports, options, cache?.notice ?? null);
}

/**
 * Load the generator, the PRM and the revision model from disk (Node only: command line, tests,
 * benchmark). All three are required.
 * @param dir the folder containing `tinymath-gen/`, `tinymath-prm/` and `tinymath-rev/` (e.g.
 *   `public/models`)
 * @param options as for loadTinyMath; with `backend: 'webgpu'` and no `gpu`, Dawn (the `webgpu`
 *   package) is loaded; `auto` without `gpu` uses the CPU
 */
export async function loadTinyMathFromDir(
  dir: string,
  options: TinyMathOptions = {},
): Promise<TinyMathBundle> {
  const join = (name: string): string => `${dir.replace(/\/+$/, '')}/${name}`;
  const readOne = (folder: string, role: 'generator' | 'prm' | 'revision') =>
    readExportDir(join(folder), options.onProgress).then((f) => parseExport(f, role));
  const exports = await allOrFirstError(
    readOne(GENERATOR_FOLDER, 'generator'),
    readOne(PRM_FOLDER, 'prm'),
    readOne(REVISION_FOLDER, 'revision'),
  );
  let gpu = options.gpu;
  if (!gpu && options.backend === 'webgpu') gpu = await dawnGpu();
  return createTinyMath(exports, { ...options, gpu });
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
