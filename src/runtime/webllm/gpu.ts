/**
 * What the WebGPU adapter offers, checked on the adapter itself before WebLLM is loaded: the
 * library's own checks run only after its 6.8 MB download and the model's, and some f16 model
 * records do not declare `shader-f16` at all.
 */

export interface WebGPUSupport {
  /** navigator.gpu exists and gave an adapter. */
  available: boolean;
  /** The adapter has the `shader-f16` feature (needed by the q4f16 builds). */
  shaderF16: boolean;
  /** A software adapter (SwiftShader): it works, but very slowly. */
  fallbackAdapter: boolean;
  /** Why WebGPU is unavailable, for the user; null when it is available. */
  reason: string | null;
}

/** The part of `navigator.gpu` this module uses (so tests can pass a fake). */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<{
    features: { has(name: string): boolean };
    isFallbackAdapter?: boolean;
    info?: { isFallbackAdapter?: boolean };
  } | null>;
}

/**
 * Probe WebGPU.
 * @param gpu `navigator.gpu`; undefined where the browser has no WebGPU.
 */
export async function probeWebGPU(
  gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu,
): Promise<WebGPUSupport> {
  if (!gpu) {
    return {
      available: false,
      shaderF16: false,
      fallbackAdapter: false,
      reason: 'This browser has no WebGPU (navigator.gpu is missing).',
    };
  }
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return {
      available: false,
      shaderF16: false,
      fallbackAdapter: false,
      reason: `WebGPU could not find a GPU adapter (${e instanceof Error ? e.message : String(e)}).`,
    };
  }
  if (!adapter) {
    return {
      available: false,
      shaderF16: false,
      fallbackAdapter: false,
      reason: 'WebGPU is present but found no usable GPU adapter.',
    };
  }
  return {
    available: true,
    shaderF16: adapter.features.has('shader-f16'),
    fallbackAdapter: adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    reason: null,
  };
}
