/// <reference types="@webgpu/types" />
/**
 * Choosing a backend and falling back to the CPU. One runtime serves the generator, the revision
 * model and the PRM; after any GPU failure (no adapter, device lost, out of memory) all three
 * switch to the CPU path for good, a notice explains why, and the run that hit the failure
 * rejects so the app can restart it.
 */
import { BackendLostError, type DecoderBackend } from './backend';
import { CpuBackend } from './cpu';
import type { TinyMathExport } from './format';
import type { WasmLinear } from './linearWasm';
import type { BackendSource, ModelRole } from './model';
import { kernelShapeKey, preferredDecode, WebGpuBackend } from './webgpu';

export type BackendPreference = 'auto' | 'cpu' | 'webgpu';

export interface AdapterChoice {
  adapter: GPUAdapter | null;
  /** Why the CPU path is used, for the UI; null when WebGPU was chosen or the CPU was asked for. */
  notice: string | null;
}

/** Whether an adapter is a software rasteriser (SwiftShader, WARP...): correct but slower than our CPU path. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const arch = (info?.architecture ?? '').toLowerCase();
  const description = `${info?.description ?? ''} ${info?.device ?? ''}`.toLowerCase();
  return (
    legacyFallback ||
    info?.isFallbackAdapter === true ||
    arch === 'swiftshader' ||
    description.includes('swiftshader') ||
    description.includes('llvmpipe')
  );
}

/**
 * Find the adapter the preference allows.
 * @param gpu `navigator.gpu`, or Dawn's GPU object in Node; undefined where there is no WebGPU
 */
export async function chooseAdapter(
  preference: BackendPreference,
  gpu: GPU | undefined,
): Promise<AdapterChoice> {
  if (preference === 'cpu') return { adapter: null, notice: null };
  if (!gpu)
    return { adapter: null, notice: 'WebGPU is not available here; TinyMath runs on the CPU.' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter)
    return { adapter: null, notice: 'No WebGPU adapter was found; TinyMath runs on the CPU.' };
  if (preference === 'auto' && isSoftwareAdapter(adapter)) {
    return {
      adapter: null,
      notice:
        'The only WebGPU adapter is a software renderer (slower than the CPU path); TinyMath runs on the CPU.',
    };
  }
  return { adapter, notice: null };
}

/** Request a device with the adapter's largest buffer limits (KV caches of big batches need them). */
export async function requestTinyMathDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const l = adapter.limits;
  return adapter.requestDevice({
    label: 'ttc-lab TinyMath',
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The runtime's three models, in the order errors are reported (generator, PRM, revision). */
export interface TinyMathExports {
  generator: TinyMathExport;
  prm: TinyMathExport;
  revision: TinyMathExport;
}

type Backends = Record<ModelRole, DecoderBackend>;

/** The roles, in a fixed order (loading, disposal and the fall-back go through them so). */
const ROLES: readonly ModelRole[] = ['generator', 'prm', 'revision'];

export class TinyMathRuntime implements BackendSource {
  private backends: Backends;
  private device: GPUDevice | null;
  private listeners = new Set<(notice: string) => void>();
  notice: string | null;
  private disposed = false;

  private constructor(
    private readonly exports: TinyMathExports,
    backends: Backends,
    device: GPUDevice | null,
    notice: string | null,
    /** Held so that the GPU entry point outlives the device (Dawn in Node crashes otherwise). */
    private gpu: GPU | null = null,
  ) {
    this.backends = backends;
    this.device = device;
    this.notice = notice;
    if (device) {
      void device.lost.then((info) => {
        if (this.disposed || this.device !== device) return;
        this.fallBackToCpu(`the GPU device was lost (${info.message || info.reason})`);
      });
    }
  }

  /**
   * A CPU backend per model (each holds its model's weights by reference). The generator and the
   * revision model never run batches at once (the router runs one part of a call, then the
   * other), so they share their released WebAssembly instances: one instance's memory for both.
   */
  private static cpuBackends(exports: TinyMathExports): Backends {
    const idle: WasmLinear[] = [];
    const cpu = (e: TinyMathExport, shared?: WasmLinear[]): DecoderBackend =>
      new CpuBackend(e.config, e.weights, shared ? { idle: shared } : {});
    return {
      generator: cpu(exports.generator, idle),
      prm: cpu(exports.prm),
      revision: cpu(exports.revision, idle),
    };
  }

  /**
   * Build the backends for the three models. On WebGPU the revision model runs the generator's
   * compiled kernels over its own weight buffer when their shapes agree (they do for the
   * shipped exports), and compiles its own otherwise.
   * @param preference `auto` takes WebGPU only on a hardware adapter; `webgpu` takes any adapter;
   *   all fall back to the CPU (with a notice) when WebGPU cannot start
   * @param gpu `navigator.gpu` or Dawn's GPU object; undefined means none
   */
  static async create(
    exports: TinyMathExports,
    preference: BackendPreference,
    gpu: GPU | undefined,
  ): Promise<TinyMathRuntime> {
    const choice = await chooseAdapter(preference, gpu);
    if (!choice.adapter)
      return new TinyMathRuntime(
        exports,
        TinyMathRuntime.cpuBackends(exports),
        null,
        choice.notice,
      );
    let device: GPUDevice | null = null;
    try {
      device = await requestTinyMathDevice(choice.adapter);
      const software = isSoftwareAdapter(choice.adapter);
      const { generator, prm, revision } = exports;
      const own = (e: TinyMathExport): Promise<WebGpuBackend> =>
        WebGpuBackend.create(device!, e.config, e.weights, preferredDecode(e.config, software));
      const [g, p] = await Promise.all([own(generator), own(prm)]);
      const r =
        kernelShapeKey(revision.config) === kernelShapeKey(generator.config)
          ? await WebGpuBackend.sharing(g, revision.config, revision.weights)
          : await own(revision);
      return new TinyMathRuntime(
        exports,
        { generator: g, prm: p, revision: r },
        device,
        null,
        gpu ?? null,
      );
    } catch (e) {
      device?.destroy();
      return new TinyMathRuntime(
        exports,
        TinyMathRuntime.cpuBackends(exports),
        null,
        `WebGPU could not start (${messageOf(e)}); TinyMath runs on the CPU.`,
      );
    }
  }

  /** The GPU device in use, or null on the CPU path (diagnostics and tests). */
  get gpuDevice(): GPUDevice | null {
    return this.device;
  }

  get backendName(): 'cpu' | 'webgpu' {
    return this.backends.generator.name;
  }

  backend(role: ModelRole): DecoderBackend {
    if (this.disposed) throw new Error('TinyMath was disposed');
    return this.backends[role];
  }

  failed(error: unknown): unknown {
    const gpuGone =
      error instanceof BackendLostError ||
      (this.device !== null && /device (was )?lost|out of memory/i.test(messageOf(error)));
    if (!gpuGone) return error;
    this.fallBackToCpu(messageOf(error).replace(/^WebGPU: /, ''));
    return new BackendLostError(`${this.notice} This run was stopped; start it again.`);
  }

  /** Be told when the backend changes after loading (the notice to show). */
  onNotice(listener: (notice: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Switch every model to the CPU path (idempotent). */
  fallBackToCpu(reason: string): void {
    if (this.disposed || this.backends.generator.name === 'cpu') return;
    for (const role of ROLES) {
      const b = this.backends[role];
      if (b instanceof WebGpuBackend) b.markLost(reason);
    }
    for (const role of ROLES) this.backends[role].dispose();
    this.backends = TinyMathRuntime.cpuBackends(this.exports);
    const device = this.device;
    this.device = null;
    device?.destroy();
    this.notice = `WebGPU failed: ${reason}. TinyMath switched to the CPU.`;
    for (const l of this.listeners) l(this.notice);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const role of ROLES) this.backends[role].dispose();
    this.device?.destroy();
    this.device = null;
    this.gpu = null;
    this.listeners.clear();
  }
}
