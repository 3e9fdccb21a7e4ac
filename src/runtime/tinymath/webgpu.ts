/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: the kernels of kernels.ts over one packed f32 weight buffer and a KV
 * cache per batch. A decode step is one compute dispatch plus one readback of the logits;
 * with decodeSampled the kernel also samples, so many steps share one submit and one readback.
 * A prefill is two dispatches per layer. Works in the page, in a Web Worker and in Node (Dawn).
 */
import {
  BackendLostError,
  MAX_SAMPLED_STEPS,
  checkFeed,
  feedPositions,
  keptFloatsPerRow,
  type BatchHandle,
  type DecoderBackend,
  type SampledDecodeRequest,
  type SampledDecodeResult,
  type TinyMathConfig,
} from './backend';
import type { TinyMathWeights } from './format';
import {
  ACT_BINDING,
  SAMPLER_BANNED,
  SAMPLER_BINDING,
  SAMPLER_END,
  SAMPLER_HEADER_WORDS,
  SAMPLER_JOB_WORDS,
  SAMPLER_MAX_VOCAB,
  WORKGROUP,
  layeredShape,
  type LayeredShape,
  scoreTile,
  tinyMathWgsl,
  weightLayout,
  workgroupBytes,
} from './kernels';

// Numeric flags, so that nothing depends on the GPUBufferUsage / GPUMapMode globals (absent in Node).
const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
const MAP_READ = 1;
/** minUniformBufferOffsetAlignment is at most 256 on every device. */
const PARAM_STRIDE = 256;
const MAX_WORKGROUPS_X = 65535;

/** The dispatch grid for one workgroup per job (x is capped, y takes the rest). */
function jobGrid(jobs: number): [number, number] {
  return [Math.min(jobs, MAX_WORKGROUPS_X), Math.ceil(jobs / MAX_WORKGROUPS_X)];
}

/** Pack the weights in the order weightLayout() gives. */
export function packWeights(c: TinyMathConfig, w: TinyMathWeights): Float32Array<ArrayBuffer> {
  const L = weightLayout(c);
  const out = new Float32Array(L.total);
  out.set(w.wte, L.wte);
  out.set(w.wpe, L.wpe);
  out.set(w.lnFWeight, L.lnFWeight);
  out.set(w.lnFBias, L.lnFBias);
  w.layers.forEach((lw, i) => {
    const b = L.layerBase + i * L.layerSize;
    for (const key of Object.keys(L.layer) as (keyof typeof L.layer)[])
      out.set(lw[key], b + L.layer[key]);
  });
  if (L.confidence) {
    const cw = w.confidence;
    if (!cw) throw new Error('TinyMath: the config has a confidence input but the weights lack it');
    out.set(cw.lnWeight, L.confidence.lnWeight);
    out.set(cw.lnBias, L.confidence.lnBias);
    out.set(cw.weight, L.confidence.weight);
    out.set(cw.bias, L.confidence.bias);
  }
  return out;
}

/** The packed weights in a storage buffer of their own. */
function uploadWeights(
  device: GPUDevice,
  config: TinyMathConfig,
  weights: TinyMathWeights,
): Promise<GPUBuffer> {
  const packed = packWeights(config, weights);
  return checked(device, 'uploading the weights', () => {
    const b = device.createBuffer({
      size: packed.byteLength,
      usage: USAGE.STORAGE | USAGE.COPY_DST,
      label: `tinymath ${config.role} weights`,
    });
    device.queue.writeBuffer(b, 0, packed);
    return b;
  });
}

function lostError(message: string): BackendLostError {
  return new BackendLostError(`WebGPU: ${message}`);
}

/**
 * Run `create` inside out-of-memory and validation error scopes; a GPU-side failure becomes an
 * exception here instead of a silent warning.
 */
async function checked<T>(device: GPUDevice, what: string, create: () => T): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const value = create();
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (oom) throw lostError(`out of GPU memory while ${what} (${oom.message})`);
  if (validation) throw new Error(`WebGPU: ${what} failed validation: ${validation.message}`);
  return value;
}

export type DecodeMode = 'fused' | 'layered';

/**
 * How the runtime decodes a model: on a real GPU the layered decode at 256 threads where the
 * model allows it (a generator with a small vocabulary, narrow enough for the layered kernels'
 * workgroup memory), else the fused kernel. The fused kernel walks a row's whole context in one
 * workgroup, so its step grows with the context; the layered one spreads the attention over a
 * workgroup per head and groups of positions. On an H200 it was 0.85-1.1x the fused kernel's
 * tokens/s at batch 64 with contexts under 150 tokens, and 0.65x at batch 256. On best-of-64 at
 * the hardest level, with contexts of several hundred tokens, run A B B A in one process on an
 * H100 (five runs), the layered decode's last run took 0.08-0.09 s and the fused kernel's runs
 * 0.13-0.19 s; the first timed run, layered in all five, took 0.18-0.23 s (README.md, "Measured
 * on a real GPU"). A software adapter (SwiftShader, forced with `webgpu`) runs the fused kernel:
 * there every thread costs CPU time, and a layered step at batch 1 took 16x longer.
 */
export function preferredDecode(
  config: TinyMathConfig,
  software: boolean,
): { decode: DecodeMode; workgroup: number } {
  // The layered kernels' workgroup arrays must leave room for attention scores in the 16 KB
  // every device offers (a much wider model than TinyMath's would not fit).
  const fits = scoreTile(config, 16384, 256, true) >= 1;
  return software || config.confidence || config.vocabSize > SAMPLER_MAX_VOCAB || !fits
    ? { decode: 'fused', workgroup: WORKGROUP }
    : { decode: 'layered', workgroup: 256 };
}

/**
 * What the generated kernels depend on (tinyMathWgsl, weightLayout): two models that agree on
 * it run the same compiled pipelines over their own weight buffers (WebGpuBackend.sharing).
 */
export function kernelShapeKey(c: TinyMathConfig): string {
  return JSON.stringify([
    c.vocabSize,
    c.nPositions,
    c.nEmbd,
    c.nLayer,
    c.nHead,
    c.layerNormEpsilon,
    c.confidence
      ? [c.confidence.afterLayer, c.confidence.floor, c.confidence.runningSum ?? null]
      : null,
  ]);
}

interface LayeredPipelines {
  layout: GPUBindGroupLayout;
  qkv: GPUComputePipeline;
  attn: GPUComputePipeline;
  proj: GPUComputePipeline;
  mlp: GPUComputePipeline;
  head: GPUComputePipeline;
  headSample: GPUComputePipeline;
}

export class WebGpuBackend implements DecoderBackend {
  readonly name = 'webgpu' as const;
  /**
   * A decode step is one fused dispatch (see kernels.ts); a model with the confidence input
   * decodes through the prefill kernels: 2 per layer and 3 for the input.
   */
  readonly dispatchesPerStep: number;
  /** Set once the device is lost; every later call throws BackendLostError. */
  lostReason: string | null = null;
  private disposed = false;

  private constructor(
    readonly config: TinyMathConfig,
    readonly device: GPUDevice,
    readonly weightBuffer: GPUBuffer,
    readonly layout: GPUBindGroupLayout,
    readonly pipelines: {
      decode: GPUComputePipeline;
      prefillA: GPUComputePipeline;
      prefillB: GPUComputePipeline;
      /**
       * conf_logits, conf_inject, [conf_sum with the running sum,] conf_keep (kernels.ts), in
       * dispatch order, for a model with the confidence input.
       */
      confidence: GPUComputePipeline[] | null;
      /** decode_sample and its own layout (null for a model with the confidence input). */
      sampled: { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } | null;
      /** The layered decode's kernels (`lay_*`) and layout, when this backend decodes that way. */
      layered: LayeredPipelines | null;
    },
    /** Threads per workgroup the kernels were compiled with. */
    readonly workgroup: number,
    /** How the layered kernels split a step (kernels.ts layeredShape; null: not layered). */
    readonly layered: LayeredShape | null,
  ) {
    this.dispatchesPerStep = pipelines.confidence
      ? 2 * config.nLayer + pipelines.confidence.length
      : (layered?.dispatchesPerStep ?? 1);
  }

  /** How a decode step is split: one fused dispatch, or `lay_*` stages (kernels.ts). */
  get decodeMode(): DecodeMode {
    return this.pipelines.layered ? 'layered' : 'fused';
  }

  /**
   * Upload the weights and compile the kernels.
   * @param device a device the caller owns (and destroys); shared by the generator, the revision
   *   model and the PRM
   * @param options.scoreTile attention positions per tile (tests force small tiles to cover the online softmax)
   * @param options.workgroup threads per workgroup (default WORKGROUP; the benchmark compares others)
   * @param options.decode 'fused' (default: one dispatch per decode step) or 'layered' (four per
   *   layer over many workgroups per row, kernels.ts `lay_*`; the benchmark compares them)
   * @param options.tileOutputs outputs per tile of the layered kernels (default 32; the benchmark
   *   compares others)
   * @throws BackendLostError when the GPU runs out of memory; Error when the model's shape does not
   *   fit the device's limits (the caller then uses the CPU path)
   */
  static async create(
    device: GPUDevice,
    config: TinyMathConfig,
    weights: TinyMathWeights,
    options: {
      scoreTile?: number;
      workgroup?: number;
      decode?: DecodeMode;
      tileOutputs?: number;
    } = {},
  ): Promise<WebGpuBackend> {
    const wg = options.workgroup ?? WORKGROUP;
    const layered = options.decode === 'layered';
    if (layered && (config.confidence || config.vocabSize > SAMPLER_MAX_VOCAB))
      throw new Error(
        'WebGPU: the layered decode is for a generator (no confidence input, a small vocabulary)',
      );
    const maxThreads = Math.min(
      device.limits.maxComputeInvocationsPerWorkgroup,
      device.limits.maxComputeWorkgroupSizeX,
    );
    if (!Number.isInteger(Math.log2(wg)) || wg < 2 || wg > maxThreads)
      throw new Error(
        `WebGPU: ${wg} threads per workgroup must be a power of two from 2 to ${maxThreads} (this device)`,
      );
    const tile =
      options.scoreTile ??
      scoreTile(config, device.limits.maxComputeWorkgroupStorageSize, wg, layered);
    const need = workgroupBytes(config, tile, wg, layered);
    if (tile < 1 || need > device.limits.maxComputeWorkgroupStorageSize) {
      throw new Error(
        `WebGPU: this model needs ${need} bytes of workgroup memory; the device allows ${device.limits.maxComputeWorkgroupStorageSize}`,
      );
    }
    const weightBuffer = await uploadWeights(device, config, weights);
    const storage = (readOnly: boolean): GPUBufferBindingLayout => ({
      type: readOnly ? 'read-only-storage' : 'storage',
    });
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: 4, buffer: storage(true) },
        { binding: 1, visibility: 4, buffer: storage(false) },
        { binding: 2, visibility: 4, buffer: storage(false) },
        { binding: 3, visibility: 4, buffer: storage(true) },
        { binding: 4, visibility: 4, buffer: storage(false) },
        { binding: 5, visibility: 4, buffer: storage(false) },
        { binding: 6, visibility: 4, buffer: storage(false) },
        { binding: 7, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true } },
        { binding: 8, visibility: 4, buffer: storage(false) },
      ],
    });
    // decode_sample uses only these bindings; its sampler buffer would take the other kernels'
    // layout past the 8 storage buffers per stage that every device allows.
    const samplerEntries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: 4, buffer: storage(true) },
      { binding: 1, visibility: 4, buffer: storage(false) },
      { binding: 2, visibility: 4, buffer: storage(false) },
      { binding: 6, visibility: 4, buffer: storage(false) },
      { binding: 7, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true } },
      { binding: SAMPLER_BINDING, visibility: 4, buffer: storage(false) },
    ];
    const sampledLayout =
      config.confidence || config.vocabSize > SAMPLER_MAX_VOCAB
        ? null
        : device.createBindGroupLayout({ entries: samplerEntries });
    const layeredLayout = layered
      ? device.createBindGroupLayout({
          entries: [
            ...samplerEntries,
            { binding: ACT_BINDING, visibility: 4, buffer: storage(false) },
          ],
        })
      : null;
    const shape = layered ? layeredShape(config, wg, options.tileOutputs) : null;
    const code = tinyMathWgsl(config, tile, wg, shape?.tileOutputs);
    const module = device.createShaderModule({ code, label: 'tinymath' });
    const make = (entryPoint: string, bindGroupLayout = layout): Promise<GPUComputePipeline> =>
      device
        .createComputePipelineAsync({
          layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
          compute: { module, entryPoint },
        })
        .catch((e: Error) => {
          throw new Error(
            `WebGPU: compiling the TinyMath kernel "${entryPoint}" failed: ${e.message}`,
          );
        });
    const [decode, prefillA, prefillB, sampledPipeline] = await Promise.all([
      make('decode'),
      make('prefill_a'),
      make('prefill_b'),
      sampledLayout ? make('decode_sample', sampledLayout) : null,
    ]);
    const confidence = config.confidence
      ? await Promise.all(
          [
            'conf_logits',
            'conf_inject',
            ...(config.confidence.runningSum ? ['conf_sum'] : []),
            'conf_keep',
          ].map((e) => make(e)),
        )
      : null;
    const sampled =
      sampledLayout && sampledPipeline
        ? { pipeline: sampledPipeline, layout: sampledLayout }
        : null;
    let layeredPipelines: LayeredPipelines | null = null;
    if (layeredLayout) {
      const [qkv, attn, proj, mlp, head, headSample] = await Promise.all(
        ['lay_qkv', 'lay_attn', 'lay_proj', 'lay_mlp', 'lay_head', 'lay_head_sample'].map((e) =>
          make(e, layeredLayout),
        ),
      );
      layeredPipelines = {
        layout: layeredLayout,
        qkv: qkv!,
        attn: attn!,
        proj: proj!,
        mlp: mlp!,
        head: head!,
        headSample: headSample!,
      };
    }
    const pipelines = {
      decode,
      prefillA,
      prefillB,
      confidence,
      sampled,
      layered: layeredPipelines,
    };
    return WebGpuBackend.watched(
      new WebGpuBackend(config, device, weightBuffer, layout, pipelines, wg, shape),
    );
  }

  /**
   * A backend for another model of the same kernel shape (kernelShapeKey): `base`'s compiled
   * pipelines, layout and decode over its own weight buffer, so the revision model costs one
   * upload and no compilation. Its dispose frees only its weights (pipelines hold no buffers);
   * either may be disposed first.
   * @throws Error when the shapes differ (compile with create instead); BackendLostError when
   *   the GPU runs out of memory
   */
  static async sharing(
    base: WebGpuBackend,
    config: TinyMathConfig,
    weights: TinyMathWeights,
  ): Promise<WebGpuBackend> {
    base.assertUsable();
    if (kernelShapeKey(config) !== kernelShapeKey(base.config))
      throw new Error(
        `WebGPU: a model of another shape cannot share these kernels (${kernelShapeKey(config)} against ${kernelShapeKey(base.config)})`,
      );
    const weightBuffer = await uploadWeights(base.device, config, weights);
    return WebGpuBackend.watched(
      new WebGpuBackend(
        config,
        base.device,
        weightBuffer,
        base.layout,
        base.pipelines,
        base.workgroup,
        base.layered,
      ),
    );
  }

  /** Whether this backend runs `other`'s compiled pipelines (sharing), for tests. */
  sharesKernelsWith(other: WebGpuBackend): boolean {
    return this.pipelines === other.pipelines;
  }

  private static watched(backend: WebGpuBackend): WebGpuBackend {
    void backend.device.lost.then((info) => {
      backend.lostReason ??= info.message || info.reason || 'device lost';
    });
    return backend;
  }

  /** Most rows a batch of `maxLength` can hold within the device's buffer limits. */
  maxBatchSize(maxLength: number): number {
    const perRow = this.config.nLayer * maxLength * this.config.nEmbd * 4;
    const limit = Math.min(
      this.device.limits.maxStorageBufferBindingSize,
      this.device.limits.maxBufferSize,
    );
    return Math.max(1, Math.floor(limit / perRow));
  }

  async createBatch(batchSize: number, maxLength: number): Promise<BatchHandle> {
    this.assertUsable();
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`TinyMath batch: bad batch size ${batchSize}`);
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > this.config.nPositions) {
      throw new Error(
        `TinyMath batch: maxLength ${maxLength} must be in 1..${this.config.nPositions} (the context length)`,
      );
    }
    if (batchSize > this.maxBatchSize(maxLength)) {
      throw new Error(
        `TinyMath batch: ${batchSize} rows of ${maxLength} tokens exceed this GPU's buffer size limit`,
      );
    }
    const batch = new GpuBatch(this, batchSize, maxLength);
    await batch.init();
    return batch;
  }

  assertUsable(): void {
    // Loss first: a backend disposed because its device went must fail as lost, so the run restarts.
    if (this.lostReason !== null) throw lostError(`the GPU device was lost (${this.lostReason})`);
    if (this.disposed) throw new Error('TinyMath WebGPU backend: used after dispose()');
  }

  /** Mark the device as gone (the runtime calls this before switching to the CPU). */
  markLost(reason: string): void {
    this.lostReason ??= reason;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weightBuffer.destroy();
  }
}

class GpuBatch implements BatchHandle {
  private readonly lengths: Int32Array;
  /** Position id of each row's next token (its last position + 1). */
  private readonly next: Int32Array;
  private readonly kvBytes: number;
  private keys!: GPUBuffer;
  private values!: GPUBuffer;
  private params!: GPUBuffer;
  /** The job count the params buffer holds (-1: not written yet). */
  private paramsJobs = -1;
  /** Jobs of the last call if it was a fused decode step (repeatDecodeKernel), else 0. */
  private lastDecodeJobs = 0;
  /** Fork goes through this: WebGPU forbids copying a buffer onto itself. */
  private forkScratch!: GPUBuffer;
  /** Each row's kept confidence state (keptFloatsPerRow: base logits at its last position, with the running sum the sum and flag; 4 bytes without the input). */
  private lastz!: GPUBuffer;
  private lastzScratch!: GPUBuffer;
  private capacity = 0;
  private jobs: GPUBuffer | null = null;
  private xbuf: GPUBuffer | null = null;
  private qbuf: GPUBuffer | null = null;
  private logits: GPUBuffer | null = null;
  private staging: GPUBuffer | null = null;
  private bindGroup: GPUBindGroup | null = null;
  /** decodeSampled's buffer (kernels.ts, SAMPLER_*), its readback and its bind group. */
  private sampler: {
    buffer: GPUBuffer;
    staging: GPUBuffer;
    /** decode_sample's (fused decode) or the lay_* kernels' (layered decode). */
    bindGroup: GPUBindGroup;
    /** The layered decode's activations. */
    act: GPUBuffer | null;
    jobs: number;
    steps: number;
  } | null = null;
  private released = false;
  private busy = false;

  constructor(
    private readonly backend: WebGpuBackend,
    readonly batchSize: number,
    readonly maxLength: number,
  ) {
    this.lengths = new Int32Array(batchSize);
    this.next = new Int32Array(batchSize);
    const c = backend.config;
    this.kvBytes = c.nLayer * batchSize * maxLength * c.nEmbd * 4;
  }

  async init(): Promise<void> {
    const device = this.backend.device;
    const nl = this.backend.config.nLayer;
    const rowBytes = this.maxLength * this.backend.config.nEmbd * 4;
    const kept = keptFloatsPerRow(this.backend.config);
    const lastzBytes = Math.max(4, this.batchSize * kept * 4);
    [this.keys, this.values, this.params, this.forkScratch, this.lastz, this.lastzScratch] =
      await checked(device, 'allocating the KV cache', () => [
        device.createBuffer({
          size: this.kvBytes,
          usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
          label: 'keys',
        }),
        device.createBuffer({
          size: this.kvBytes,
          usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
          label: 'values',
        }),
        device.createBuffer({
          size: PARAM_STRIDE * nl,
          usage: USAGE.UNIFORM | USAGE.COPY_DST,
          label: 'params',
        }),
        device.createBuffer({
          size: 2 * nl * rowBytes,
          usage: USAGE.COPY_SRC | USAGE.COPY_DST,
          label: 'fork scratch',
        }),
        device.createBuffer({
          size: lastzBytes,
          usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
          label: 'last logits per row',
        }),
        device.createBuffer({
          size: Math.max(4, kept * 4),
          usage: USAGE.COPY_SRC | USAGE.COPY_DST,
          label: 'last logits fork scratch',
        }),
      ]);
    await this.ensureCapacity(Math.max(this.batchSize, 16));
  }

  length(row: number): number {
    return this.lengths[row] ?? 0;
  }

  private async ensureCapacity(jobs: number): Promise<void> {
    if (jobs <= this.capacity) return;
    const device = this.backend.device;
    const { nEmbd: D, vocabSize: V } = this.backend.config;
    for (const b of [this.jobs, this.xbuf, this.qbuf, this.logits, this.staging]) b?.destroy();
    // The sampler's bind group holds the old logits buffer: make it again when next needed.
    this.sampler?.buffer.destroy();
    this.sampler?.staging.destroy();
    this.sampler?.act?.destroy();
    this.sampler = null;
    const n = Math.max(jobs, this.capacity * 2);
    [this.jobs, this.xbuf, this.qbuf, this.logits, this.staging] = await checked(
      device,
      'allocating activations',
      () => [
        device.createBuffer({ size: n * 16, usage: USAGE.STORAGE | USAGE.COPY_DST, label: 'jobs' }),
        device.createBuffer({ size: n * D * 4, usage: USAGE.STORAGE, label: 'residual' }),
        device.createBuffer({ size: n * D * 4, usage: USAGE.STORAGE, label: 'queries' }),
        device.createBuffer({
          size: n * V * 4,
          usage: USAGE.STORAGE | USAGE.COPY_SRC,
          label: 'logits',
        }),
        device.createBuffer({
          size: n * V * 4,
          usage: USAGE.MAP_READ | USAGE.COPY_DST,
          label: 'logits readback',
        }),
      ],
    );
    this.capacity = n;
    const buffer = (b: GPUBuffer): GPUBufferBinding => ({ buffer: b });
    this.bindGroup = device.createBindGroup({
      layout: this.backend.layout,
      entries: [
        { binding: 0, resource: buffer(this.backend.weightBuffer) },
        { binding: 1, resource: buffer(this.keys) },
        { binding: 2, resource: buffer(this.values) },
        { binding: 3, resource: buffer(this.jobs!) },
        { binding: 4, resource: buffer(this.xbuf!) },
        { binding: 5, resource: buffer(this.qbuf!) },
        { binding: 6, resource: buffer(this.logits!) },
        { binding: 7, resource: { buffer: this.params, size: 16 } },
        { binding: 8, resource: buffer(this.lastz) },
      ],
    });
  }

  step(rows: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    if (this.backend.pipelines.layered) return this.layeredStep(rows, tokens);
    return this.run(
      rows,
      tokens.map((t) => [t]),
      true,
    );
  }

  /** A decode step through the lay_* kernels, its jobs in the sampler buffer, logits read back. */
  private async layeredStep(
    rows: readonly number[],
    tokens: readonly number[],
  ): Promise<Float32Array> {
    this.checkLive();
    const { vocabSize: V, nPositions } = this.backend.config;
    const feeds = tokens.map((t) => [t]);
    checkFeed(
      this,
      rows,
      rows.map(() => 1),
      V,
      feeds,
    );
    const J = rows.length;
    if (J === 0) return new Float32Array(0);
    const fed = feedPositions(rows, feeds, undefined, this.next, nPositions);
    this.busy = true;
    try {
      const sampler = await this.ensureSampler(J, 1);
      this.writeJobs(sampler.buffer, rows, tokens, {
        positions: fed.map((p) => p[0]!),
        rngStates: rows.map(() => 0),
        budgets: rows.map(() => 1),
        temperature: 0,
        topP: 1,
        banned: [],
        endTokens: [],
      });
      for (const row of rows) this.lengths[row]!++;
      this.writeParams(J);
      this.lastDecodeJobs = J;
      const device = this.backend.device;
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.encodeLayered(pass, J, 1, false);
      pass.end();
      return await this.readLogits(encoder, J);
    } finally {
      this.busy = false;
    }
  }

  /** Finish `encoder` with a copy of the first `jobs` rows of logits, submit it and read them. */
  private async readLogits(encoder: GPUCommandEncoder, jobs: number): Promise<Float32Array> {
    const bytes = jobs * this.backend.config.vocabSize * 4;
    encoder.copyBufferToBuffer(this.logits!, 0, this.staging!, 0, bytes);
    this.backend.device.queue.submit([encoder.finish()]);
    return new Float32Array(await this.readBack(this.staging!, bytes, 'the logits'));
  }

  /**
   * A copy of the first `bytes` of a mapped-read buffer once the GPU is done with it; a failure
   * (the device went) becomes BackendLostError.
   */
  private async readBack(staging: GPUBuffer, bytes: number, what: string): Promise<ArrayBuffer> {
    try {
      await staging.mapAsync(MAP_READ, 0, bytes);
    } catch (e) {
      this.backend.assertUsable();
      throw lostError(`reading ${what} back failed (${(e as Error).message})`);
    }
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    return copy;
  }

  /** `steps` layered decode steps over the J jobs in the sampler buffer (sampling or not). */
  private encodeLayered(
    pass: GPUComputePassEncoder,
    J: number,
    steps: number,
    sample: boolean,
  ): void {
    const lay = this.backend.pipelines.layered!;
    const { qkvTiles, attnTiles, projTiles, mlpTiles } = this.backend.layered!;
    const { nLayer } = this.backend.config;
    const bindGroup = this.sampler!.bindGroup;
    for (let s = 0; s < steps; s++) {
      for (let l = 0; l < nLayer; l++) {
        pass.setBindGroup(0, bindGroup, [l * PARAM_STRIDE]);
        pass.setPipeline(lay.qkv);
        pass.dispatchWorkgroups(qkvTiles, J);
        pass.setPipeline(lay.attn);
        pass.dispatchWorkgroups(attnTiles, J);
        pass.setPipeline(lay.proj);
        pass.dispatchWorkgroups(projTiles, J);
        pass.setPipeline(lay.mlp);
        pass.dispatchWorkgroups(mlpTiles, J);
      }
      pass.setPipeline(sample ? lay.headSample : lay.head);
      pass.dispatchWorkgroups(1, J);
    }
  }

  /**
   * The per-layer parameters for `jobs` jobs, written again only when the count changes (decode
   * steps of one batch repeat it).
   */
  private writeParams(jobs: number): void {
    if (this.paramsJobs === jobs) return;
    const nLayer = this.backend.config.nLayer;
    const params = new Uint32Array((PARAM_STRIDE / 4) * nLayer);
    for (let l = 0; l < nLayer; l++)
      params.set([l, jobs, this.maxLength, this.batchSize], (l * PARAM_STRIDE) / 4);
    this.backend.device.queue.writeBuffer(this.params, 0, params);
    this.paramsJobs = jobs;
  }

  /**
   * The sampler buffer's header, token flags and one job per row (kernels.ts, SAMPLER_*).
   * Returns the word where its outputs start.
   */
  private writeJobs(
    buffer: GPUBuffer,
    rows: readonly number[],
    tokens: readonly number[],
    o: {
      positions: readonly number[];
      rngStates: readonly number[];
      budgets: readonly number[];
      temperature: number;
      topP: number;
      banned: readonly number[];
      endTokens: readonly number[];
    },
  ): number {
    const V = this.backend.config.vocabSize;
    const jobsAt = SAMPLER_HEADER_WORDS + V;
    const outAt = jobsAt + SAMPLER_JOB_WORDS * rows.length;
    const words = new Uint32Array(outAt);
    const asFloat = new Float32Array(words.buffer, 0, 2);
    asFloat[0] = o.temperature;
    asFloat[1] = o.topP;
    words[2] = outAt;
    for (const t of o.banned) words[SAMPLER_HEADER_WORDS + t]! |= SAMPLER_BANNED;
    for (const t of o.endTokens) words[SAMPLER_HEADER_WORDS + t]! |= SAMPLER_END;
    rows.forEach((row, i) => {
      words.set(
        [
          row,
          this.lengths[row]!,
          tokens[i]!,
          o.positions[i]!,
          o.rngStates[i]! >>> 0,
          o.budgets[i]!,
        ],
        jobsAt + SAMPLER_JOB_WORDS * i,
      );
    });
    this.backend.device.queue.writeBuffer(buffer, 0, words);
    return outAt;
  }

  prefill(
    rows: readonly number[],
    tokens: readonly (readonly number[])[],
    positions?: readonly (readonly number[])[],
  ): Promise<Float32Array> {
    return this.run(rows, tokens, false, positions);
  }

  private async run(
    rows: readonly number[],
    tokens: readonly (readonly number[])[],
    decode: boolean,
    positions?: readonly (readonly number[])[],
  ): Promise<Float32Array> {
    this.checkLive();
    const { vocabSize: V, nLayer, nPositions } = this.backend.config;
    checkFeed(
      this,
      rows,
      tokens.map((t) => t.length),
      V,
      tokens,
    );
    const fed = feedPositions(rows, tokens, positions, this.next, nPositions);
    let total = 0;
    for (const t of tokens) total += t.length;
    if (total === 0) return new Float32Array(0);
    this.busy = true;
    try {
      await this.ensureCapacity(total);
      const device = this.backend.device;
      const jobs = new Uint32Array(total * 4);
      let n = 0;
      rows.forEach((row, i) => {
        tokens[i]!.forEach((t, k) => {
          jobs.set([row, this.lengths[row]!, t, fed[i]![k]!], n * 4);
          this.lengths[row]!++;
          n++;
        });
      });
      device.queue.writeBuffer(this.jobs!, 0, jobs);
      this.writeParams(total);

      const [gx, gy] = jobGrid(total);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      const { prefillA, prefillB, confidence } = this.backend.pipelines;
      const confAfter = this.backend.config.confidence?.afterLayer ?? -1;
      // A decode step feeds exactly one token per row, so the fused single-dispatch kernel is valid.
      this.lastDecodeJobs = decode && !confidence ? total : 0;
      if (decode && !confidence) {
        this.encodeDecode(pass, total, 1);
      } else {
        for (let l = 0; l < nLayer; l++) {
          pass.setBindGroup(0, this.bindGroup!, [l * PARAM_STRIDE]);
          if (confidence && l === confAfter) {
            for (const p of confidence) {
              pass.setPipeline(p);
              pass.dispatchWorkgroups(gx, gy);
            }
          }
          pass.setPipeline(prefillA);
          pass.dispatchWorkgroups(gx, gy);
          pass.setPipeline(prefillB);
          pass.dispatchWorkgroups(gx, gy);
        }
      }
      pass.end();
      return await this.readLogits(encoder, total);
    } finally {
      this.busy = false;
    }
  }

  /** The fused decode kernel over `jobs` jobs, `times` times (kernels.ts, `decode`). */
  private encodeDecode(pass: GPUComputePassEncoder, jobs: number, times: number): void {
    pass.setPipeline(this.backend.pipelines.decode);
    pass.setBindGroup(0, this.bindGroup!, [0]);
    const [gx, gy] = jobGrid(jobs);
    for (let i = 0; i < times; i++) pass.dispatchWorkgroups(gx, gy);
  }

  /**
   * For the benchmark: the GPU time of one decode step without its readback. Dispatches the
   * last step's fused kernel `repeats` times in one submit, with one readback at the end. The
   * jobs are the same, so each repeat rewrites the same cache entries and logits with the same
   * values: the batch's state does not change. Returns milliseconds per dispatch.
   */
  async repeatDecodeKernel(repeats: number): Promise<number> {
    const total = this.lastDecodeJobs;
    return this.timeRepeated(repeats, (pass) => {
      if (this.backend.pipelines.layered) this.encodeLayered(pass, total, repeats, false);
      else this.encodeDecode(pass, total, repeats);
    });
  }

  /**
   * For the benchmark: each stage of the layered decode alone (layer 0's four, then the head
   * without sampling), dispatched `repeats` times in one submit like repeatDecodeKernel. Each
   * repeat rewrites the same values. Returns milliseconds per dispatch by stage.
   */
  async repeatLayeredStages(
    repeats: number,
  ): Promise<{ qkv: number; attn: number; proj: number; mlp: number; head: number }> {
    const lay = this.backend.pipelines.layered;
    if (!lay) throw new Error('TinyMath batch: not a layered decode');
    const J = this.lastDecodeJobs;
    const { qkvTiles, attnTiles, projTiles, mlpTiles } = this.backend.layered!;
    const stage = (pipeline: GPUComputePipeline, tiles: number): Promise<number> =>
      this.timeRepeated(repeats, (pass) => {
        pass.setBindGroup(0, this.sampler!.bindGroup, [0]);
        pass.setPipeline(pipeline);
        for (let i = 0; i < repeats; i++) pass.dispatchWorkgroups(tiles, J);
      });
    return {
      qkv: await stage(lay.qkv, qkvTiles),
      attn: await stage(lay.attn, attnTiles),
      proj: await stage(lay.proj, projTiles),
      mlp: await stage(lay.mlp, mlpTiles),
      head: await stage(lay.head, 1),
    };
  }

  /** One submit of what `encode` puts in a compute pass, with a 4-byte readback; ms per repeat. */
  private async timeRepeated(
    repeats: number,
    encode: (pass: GPUComputePassEncoder) => void,
  ): Promise<number> {
    this.checkLive();
    if (this.lastDecodeJobs === 0) throw new Error('TinyMath batch: no decode step to repeat');
    const device = this.backend.device;
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass);
    pass.end();
    encoder.copyBufferToBuffer(this.logits!, 0, this.staging!, 0, 4);
    device.queue.submit([encoder.finish()]);
    await this.readBack(this.staging!, 4, 'a timing');
    return (performance.now() - start) / repeats;
  }

  async decodeSampled(request: SampledDecodeRequest): Promise<SampledDecodeResult> {
    this.checkLive();
    const { sampled, layered } = this.backend.pipelines;
    if (!sampled && !layered)
      throw new Error('TinyMath batch: this model cannot sample on the GPU');
    const { rows, tokens, rngStates, budgets, steps, temperature, topP } = request;
    const { vocabSize: V } = this.backend.config;
    const J = rows.length;
    if (tokens.length !== J || rngStates.length !== J || budgets.length !== J)
      throw new Error(
        'TinyMath batch: decodeSampled needs one token, Rng state and budget per row',
      );
    if (!Number.isInteger(steps) || steps < 1 || steps > MAX_SAMPLED_STEPS)
      throw new Error(`TinyMath batch: steps must be in 1..${MAX_SAMPLED_STEPS} (got ${steps})`);
    checkFeed(
      this,
      rows,
      rows.map(() => 1),
      V,
      tokens.map((t) => [t]),
    );
    for (const b of budgets)
      if (!Number.isInteger(b) || b < 1)
        throw new Error(`TinyMath batch: a row's budget must be a positive integer (got ${b})`);
    for (const t of [...request.banned, ...request.endTokens])
      if (!Number.isInteger(t) || t < 0 || t >= V)
        throw new Error(`TinyMath batch: token id ${t} is outside the vocabulary`);
    const output = {
      tokens: new Int32Array(J * steps),
      logprobs: new Float32Array(J * steps),
      counts: new Int32Array(J),
    };
    if (J === 0) return output;
    this.busy = true;
    try {
      const device = this.backend.device;
      const sampler = await this.ensureSampler(J, steps);
      const jobsAt = SAMPLER_HEADER_WORDS + V;
      const outAt = this.writeJobs(sampler.buffer, rows, tokens, {
        positions: rows.map((row) => this.next[row]!),
        rngStates,
        budgets,
        temperature,
        topP,
        banned: request.banned,
        endTokens: request.endTokens,
      });
      this.writeParams(J);
      this.lastDecodeJobs = 0;
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      if (layered) {
        this.encodeLayered(pass, J, steps, true);
      } else {
        pass.setPipeline(sampled!.pipeline);
        pass.setBindGroup(0, sampler.bindGroup, [0]);
        const [gx, gy] = jobGrid(J);
        for (let s = 0; s < steps; s++) pass.dispatchWorkgroups(gx, gy);
      }
      pass.end();
      const bytes = 4 * (outAt - jobsAt + 2 * J * steps);
      encoder.copyBufferToBuffer(sampler.buffer, 4 * jobsAt, sampler.staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      const got = new Uint32Array(
        await this.readBack(sampler.staging, bytes, 'the sampled tokens'),
      );
      const gotFloat = new Float32Array(got.buffer);
      const out0 = outAt - jobsAt;
      rows.forEach((row, i) => {
        const count = got[SAMPLER_JOB_WORDS * i + 7]!;
        output.counts[i] = count;
        for (let s = 0; s < count; s++) {
          const at = out0 + 2 * (s * J + i);
          output.tokens[i * steps + s] = got[at]!;
          output.logprobs[i * steps + s] = gotFloat[at + 1]!;
        }
        // Every sample but the last was fed back, and the first token was fed too.
        this.lengths[row]! += count;
        this.next[row]! += count;
      });
      return output;
    } finally {
      this.busy = false;
    }
  }

  private async ensureSampler(
    jobs: number,
    steps: number,
  ): Promise<NonNullable<GpuBatch['sampler']>> {
    const have = this.sampler;
    if (have && have.jobs >= jobs && have.steps >= steps) return have;
    have?.buffer.destroy();
    have?.staging.destroy();
    have?.act?.destroy();
    this.sampler = null;
    const V = this.backend.config.vocabSize;
    const J = Math.max(jobs, have?.jobs ?? 0);
    const S = Math.max(steps, have?.steps ?? 0);
    const words = SAMPLER_HEADER_WORDS + V + SAMPLER_JOB_WORDS * J + 2 * J * S;
    const device = this.backend.device;
    const { sampled, layered } = this.backend.pipelines;
    const { nEmbd: D } = this.backend.config;
    const actBytes = layered ? 4 * J * this.backend.layered!.actSlots * D : 0;
    const [buffer, staging, act] = await checked(device, 'allocating the sampler', () => [
      device.createBuffer({
        size: 4 * words,
        usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
        label: 'sampler',
      }),
      device.createBuffer({
        size: 4 * words,
        usage: USAGE.MAP_READ | USAGE.COPY_DST,
        label: 'sampler readback',
      }),
      actBytes > 0
        ? device.createBuffer({ size: actBytes, usage: USAGE.STORAGE, label: 'activations' })
        : null,
    ]);
    const bindGroup = device.createBindGroup({
      layout: layered ? layered.layout : sampled!.layout,
      entries: [
        { binding: 0, resource: { buffer: this.backend.weightBuffer } },
        { binding: 1, resource: { buffer: this.keys } },
        { binding: 2, resource: { buffer: this.values } },
        { binding: 6, resource: { buffer: this.logits! } },
        { binding: 7, resource: { buffer: this.params, size: 16 } },
        { binding: SAMPLER_BINDING, resource: { buffer: buffer! } },
        ...(act ? [{ binding: ACT_BINDING, resource: { buffer: act } }] : []),
      ],
    });
    this.sampler = { buffer: buffer!, staging: staging!, bindGroup, act, jobs: J, steps: S };
    return this.sampler;
  }

  async fork(source: number, targets: readonly number[]): Promise<void> {
    this.checkLive();
    const { nLayer, nEmbd: D } = this.backend.config;
    const len = this.length(source);
    for (const t of targets) {
      if (!Number.isInteger(t) || t < 0 || t >= this.batchSize) {
        throw new Error(`TinyMath batch: row ${t} is outside the batch of ${this.batchSize}`);
      }
    }
    const rowBytes = this.maxLength * D * 4;
    const bytes = len * D * 4;
    const at = (l: number, row: number): number => (l * this.batchSize + row) * rowBytes;
    const encoder = this.backend.device.createCommandEncoder();
    if (bytes > 0) {
      for (let l = 0; l < nLayer; l++) {
        encoder.copyBufferToBuffer(
          this.keys,
          at(l, source),
          this.forkScratch,
          2 * l * rowBytes,
          bytes,
        );
        encoder.copyBufferToBuffer(
          this.values,
          at(l, source),
          this.forkScratch,
          (2 * l + 1) * rowBytes,
          bytes,
        );
      }
    }
    for (const t of targets) {
      if (t === source) continue;
      if (bytes > 0) {
        for (let l = 0; l < nLayer; l++) {
          encoder.copyBufferToBuffer(
            this.forkScratch,
            2 * l * rowBytes,
            this.keys,
            at(l, t),
            bytes,
          );
          encoder.copyBufferToBuffer(
            this.forkScratch,
            (2 * l + 1) * rowBytes,
            this.values,
            at(l, t),
            bytes,
          );
        }
      }
      this.lengths[t] = len;
      this.next[t] = this.next[source]!;
    }
    const K = keptFloatsPerRow(this.backend.config);
    if (K > 0) {
      encoder.copyBufferToBuffer(this.lastz, source * K * 4, this.lastzScratch, 0, K * 4);
      for (const t of targets)
        if (t !== source)
          encoder.copyBufferToBuffer(this.lastzScratch, 0, this.lastz, t * K * 4, K * 4);
    }
    this.backend.device.queue.submit([encoder.finish()]);
    return Promise.resolve();
  }

  private checkLive(): void {
    if (this.released) throw new Error('TinyMath batch: used after release()');
    if (this.busy) throw new Error('TinyMath batch: a call is still running (await each step)');
    this.backend.assertUsable();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of [
      this.keys,
      this.values,
      this.params,
      this.forkScratch,
      this.lastz,
      this.lastzScratch,
      this.jobs,
      this.xbuf,
      this.qbuf,
      this.logits,
      this.staging,
      this.sampler?.buffer,
      this.sampler?.staging,
      this.sampler?.act,
    ])
      b?.destroy();
  }
}

export { WORKGROUP };
