/// <reference types="@webgpu/types" />
/**
 * Choosing a backend and falling back to the CPU. One runtime serves the generator and the PRM;
 * after any GPU failure (no adapter, device lost, out of memory) both switch to the CPU path
 * for good, a notice explains why, and the run that hit the failure rejects so the app can
 * restart it.
 */
import { BackendLostError, type DecoderBackend } from './backend';
import { CpuBackend } from './cpu';
import type { TinyMathExport } from './format';
import type { BackendSource } from './model';
import { preferredDecode, WebGpuBackend } from './webgpu';

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

export class TinyMathRuntime implements BackendSource {
  private generatorBackend: DecoderBackend;
  private prmBackend: DecoderBackend;
  private device: GPUDevice | null;
  private listeners = new Set<(notice: string) => void>();
  notice: string | null;
  private disposed = false;

  private constructor(
    private readonly generatorExport: TinyMathExport,
    private readonly prmExport: TinyMathExport,
    backends: { generator: DecoderBackend; prm: DecoderBackend },
    device: GPUDevice | null,
    notice: string | null,
    /** Held so that the GPU entry point outlives the device (Dawn in Node crashes otherwise). */
    private gpu: GPU | null = null,
  ) {
    this.generatorBackend = backends.generator;
    this.prmBackend = backends.prm;
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
   * Build the backends for both models.
   * @param preference `auto` takes WebGPU only on a hardware adapter; `webgpu` takes any adapter;
   *   both fall back to the CPU (with a notice) when WebGPU cannot start
   * @param gpu `navigator.gpu` or Dawn's GPU object; undefined means none
   */
  static async create(
    generator: TinyMathExport,
    prm: TinyMathExport,
    preference: BackendPreference,
    gpu: GPU | undefined,
  ): Promise<TinyMathRuntime> {
    const cpu = (): { generator: DecoderBackend; prm: DecoderBackend } => ({
      generator: new CpuBackend(generator.config, generator.weights),
      prm: new CpuBackend(prm.config, prm.weights),
    });
    const choice = await chooseAdapter(preference, gpu);
    if (!choice.adapter) return new TinyMathRuntime(generator, prm, cpu(), null, choice.notice);
    let device: GPUDevice | null = null;
    try {
      device = await requestTinyMathDevice(choice.adapter);
      const software = isSoftwareAdapter(choice.adapter);
      const [g, p] = await Promise.all([
        WebGpuBackend.create(
          device,
          generator.config,
          generator.weights,
          preferredDecode(generator.config, software),
        ),
        WebGpuBackend.create(
          device,
          prm.config,
          prm.weights,
          preferredDecode(prm.config, software),
        ),
      ]);
      return new TinyMathRuntime(
        generator,
        prm,
        { generator: g, prm: p },
        device,
        null,
        gpu ?? null,
      );
    } catch (e) {
      device?.destroy();
      return new TinyMathRuntime(
        generator,
        prm,
        cpu(),
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
    return this.generatorBackend.name;
  }

  backend(role: 'generator' | 'prm'): DecoderBackend {
    if (this.disposed) throw new Error('TinyMath was disposed');
    return role === 'generator' ? this.generatorBackend : this.prmBackend;
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

  /** Switch both models to the CPU path (idempotent). */
  fallBackToCpu(reason: string): void {
    if (this.disposed || this.generatorBackend.name === 'cpu') return;
    for (const b of [this.generatorBackend, this.prmBackend])
      if (b instanceof WebGpuBackend) b.markLost(reason);
    this.generatorBackend.dispose();
    this.prmBackend.dispose();
    this.generatorBackend = new CpuBackend(
      this.generatorExport.config,
      this.generatorExport.weights,
    );
    this.prmBackend = new CpuBackend(this.prmExport.config, this.prmExport.weights);
    const device = this.device;
    this.device = null;
    device?.destroy();
    this.notice = `WebGPU failed: ${reason}. TinyMath switched to the CPU.`;
    for (const l of this.listeners) l(this.notice);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.generatorBackend.dispose();
    this.prmBackend.dispose();
    this.device?.destroy();
    this.device = null;
    this.gpu = null;
    this.listeners.clear();
  }
}
