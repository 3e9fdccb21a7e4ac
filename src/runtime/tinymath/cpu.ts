/**
 * The CPU backend: the GPT-2 forward pass on Float32Arrays, with a KV cache per batch row.
 * It is the reference the WebGPU kernels are checked against, and the path used in Node, on
 * software adapters and after a GPU failure, so it aims to be plain and reasonably fast:
 * buffers are allocated once per batch, and the matmuls stream the [in, out] weight rows.
 */
import {
  checkFeed,
  confidenceFeatures,
  feedPositions,
  keptFloatsPerRow,
  runningSumStep,
  type BatchHandle,
  type DecoderBackend,
  type SavedRow,
  type TinyMathConfig,
} from './backend';
import type { TinyMathWeights } from './format';
import { WasmLinear } from './linearWasm';

/**
 * out[r, :] (+)= bias + x[r, :] @ w, for w laid out [kDim, mDim] (GPT-2's Conv1D).
 * Every path (four rows, two, one) adds a row's products in the same order, so a row's result
 * does not depend on how many rows share the call: a completion's text must not depend on the
 * rest of its batch (cpu.test.ts checks it bit for bit). An 8-wide one-row loop was 15-20% faster
 * at batch 1 but broke that.
 */
export function linear(
  x: Float32Array,
  rows: number,
  kDim: number,
  w: Float32Array,
  mDim: number,
  bias: Float32Array,
  out: Float32Array,
  accumulate: boolean,
  wasm: WasmLinear | null = null,
): void {
  for (let r = 0; r < rows; r++) {
    const oo = r * mDim;
    if (accumulate) for (let j = 0; j < mDim; j++) out[oo + j]! += bias[j]!;
    else for (let j = 0; j < mDim; j++) out[oo + j] = bias[j]!;
  }
  // The same loops in WebAssembly SIMD, bit for bit (linearWasm.ts), where the weights are there.
  if (wasm?.has(w)) return wasm.accumulate(x, rows, kDim, w, mDim, out);
  let r = 0;
  // Four rows by four weight rows per pass: each weight load serves four rows, and each load and
  // store of out[] carries four products.
  for (; r + 3 < rows; r += 4) {
    const xa = r * kDim;
    const xb = xa + kDim;
    const xc = xb + kDim;
    const xd = xc + kDim;
    const oa = r * mDim;
    const ob = oa + mDim;
    const oc = ob + mDim;
    const od = oc + mDim;
    let k = 0;
    for (; k + 3 < kDim; k += 4) {
      const a0 = x[xa + k]!;
      const a1 = x[xa + k + 1]!;
      const a2 = x[xa + k + 2]!;
      const a3 = x[xa + k + 3]!;
      const b0 = x[xb + k]!;
      const b1 = x[xb + k + 1]!;
      const b2 = x[xb + k + 2]!;
      const b3 = x[xb + k + 3]!;
      const c0 = x[xc + k]!;
      const c1 = x[xc + k + 1]!;
      const c2 = x[xc + k + 2]!;
      const c3 = x[xc + k + 3]!;
      const d0 = x[xd + k]!;
      const d1 = x[xd + k + 1]!;
      const d2 = x[xd + k + 2]!;
      const d3 = x[xd + k + 3]!;
      const w0 = k * mDim;
      const w1 = w0 + mDim;
      const w2 = w1 + mDim;
      const w3 = w2 + mDim;
      for (let j = 0; j < mDim; j++) {
        const v0 = w[w0 + j]!;
        const v1 = w[w1 + j]!;
        const v2 = w[w2 + j]!;
        const v3 = w[w3 + j]!;
        out[oa + j]! += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
        out[ob + j]! += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
        out[oc + j]! += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
        out[od + j]! += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3;
      }
    }
    for (; k < kDim; k++) {
      const w0 = k * mDim;
      const a = x[xa + k]!;
      const b = x[xb + k]!;
      const c = x[xc + k]!;
      const d = x[xd + k]!;
      for (let j = 0; j < mDim; j++) {
        const v = w[w0 + j]!;
        out[oa + j]! += a * v;
        out[ob + j]! += b * v;
        out[oc + j]! += c * v;
        out[od + j]! += d * v;
      }
    }
  }
  // Then one row at a time, as the WebAssembly kernel does. (Most products run there: this
  // loop is the path without WebAssembly SIMD.)
  for (; r < rows; r++) {
    const xo = r * kDim;
    const oo = r * mDim;
    let k = 0;
    for (; k + 3 < kDim; k += 4) {
      const a0 = x[xo + k]!;
      const a1 = x[xo + k + 1]!;
      const a2 = x[xo + k + 2]!;
      const a3 = x[xo + k + 3]!;
      const w0 = k * mDim;
      const w1 = w0 + mDim;
      const w2 = w1 + mDim;
      const w3 = w2 + mDim;
      for (let j = 0; j < mDim; j++) {
        out[oo + j]! += a0 * w[w0 + j]! + a1 * w[w1 + j]! + a2 * w[w2 + j]! + a3 * w[w3 + j]!;
      }
    }
    for (; k < kDim; k++) {
      const a = x[xo + k]!;
      const w0 = k * mDim;
      for (let j = 0; j < mDim; j++) out[oo + j]! += a * w[w0 + j]!;
    }
  }
}

/** LayerNorm of each of `rows` vectors of length d (biased variance, like PyTorch). */
export function layerNorm(
  x: Float32Array,
  rows: number,
  d: number,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
  out: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[o + i]!;
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const c = x[o + i]! - mean;
      variance += c * c;
    }
    const inv = 1 / Math.sqrt(variance / d + eps);
    for (let i = 0; i < d; i++) out[o + i] = (x[o + i]! - mean) * inv * weight[i]! + bias[i]!;
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** Tied output embedding: out[n, V] = h[n, D] @ wte^T, wte stored [V, D]. */
export function tiedLogits(
  h: Float32Array,
  n: number,
  D: number,
  wte: Float32Array,
  V: number,
  out: Float32Array,
): void {
  for (let e = 0; e < n; e++) {
    const ho = e * D;
    for (let j = 0; j < V; j++) {
      const wo = j * D;
      let s = 0;
      for (let i = 0; i < D; i++) s += h[ho + i]! * wte[wo + i]!;
      out[e * V + j] = s;
    }
  }
}

/** GELU, tanh approximation (GPT-2's "gelu_new"), in place. */
export function geluNew(x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

/**
 * scores[t] = exp(scores[t] - max) for t < count; returns their sum (the softmax's denominator).
 * Both attention paths use it, so their probabilities are bit for bit the same.
 */
function softmaxNumerators(scores: Float32Array, count: number, max: number): number {
  let sum = 0;
  for (let t = 0; t < count; t++) {
    const p = Math.exp(scores[t]! - max);
    scores[t] = p;
    sum += p;
  }
  return sum;
}

const CPU_KV_BUDGET_BYTES = 256 * 1024 * 1024;
/** Instances of released batches a CPU backend keeps (CpuBackend.idle): a tree search has one
 * generator batch and one PRM batch live at a time, on two backends. Backends that share a pool
 * (the generator and the revision model) keep this many between them. */
const IDLE_INSTANCES = 1;

/** Above this many tokens, a prefill is split so that one call never blocks for long. */
const PREFILL_CHUNK = 512;

export class CpuBackend implements DecoderBackend {
  readonly name = 'cpu' as const;
  readonly dispatchesPerStep = 0;
  private disposed = false;
  /** Whether batches run the matrix products and attention in WebAssembly SIMD. */
  readonly wasm: boolean;
  /**
   * WebAssembly instances of released batches, for the next batches: their weights are in place
   * and their memory has grown already. A tree search makes two batches a round (generator and
   * PRM), so without this each round copied the weights and allocated its memory again, and a
   * page's garbage of dropped instances reached hundreds of MB before it was collected. It may be
   * shared with another backend (options.idle): an instance then keeps the weights of each model
   * it served, and the two keep one instance's memory for their batches instead of two.
   */
  private readonly idle: WasmLinear[];

  /**
   * @param config the model's shape (from config.json)
   * @param weights float32 weights from the export; kept by reference (a WebAssembly instance
   *   copies the layers' matrices once, a few MB; released batches hand theirs on)
   * @param options.wasm false: all in TypeScript even where WebAssembly SIMD exists
   * @param options.idle a pool of released instances to share with another backend whose
   *   batches never run at the same time as this one's (the generator and the revision model:
   *   the router runs one part of a call after the other)
   */
  constructor(
    readonly config: TinyMathConfig,
    readonly weights: TinyMathWeights,
    options: { wasm?: boolean; idle?: WasmLinear[] } = {},
  ) {
    this.wasm = options.wasm !== false && WasmLinear.available();
    this.idle = options.idle ?? [];
  }

  async createBatch(batchSize: number, maxLength: number): Promise<BatchHandle> {
    if (this.disposed) throw new Error('TinyMath CPU backend: used after dispose()');
    const wasm = this.wasm ? (this.idle.pop()?.reset() ?? WasmLinear.create()) : null;
    return new CpuBatch(this.config, this.weights, batchSize, maxLength, wasm, (w) => {
      if (!this.disposed && this.idle.length < IDLE_INSTANCES) this.idle.push(w);
    });
  }

  /** Keeps one batch's KV cache under ~256 MB. */
  maxBatchSize(maxLength: number): number {
    const perRow = 2 * this.config.nLayer * maxLength * this.config.nEmbd * 4;
    return Math.max(1, Math.floor(CPU_KV_BUDGET_BYTES / perRow));
  }

  dispose(): void {
    this.disposed = true;
    this.idle.length = 0;
  }
}

class CpuSavedRow implements SavedRow {
  readonly bytes: number;
  constructor(
    readonly config: TinyMathConfig,
    readonly length: number,
    readonly next: number,
    readonly keys: Float32Array[],
    readonly values: Float32Array[],
    readonly lastLogits: Float32Array,
  ) {
    this.bytes = 4 * (2 * keys.reduce((n, k) => n + k.length, 0) + lastLogits.length) + 64;
  }
}

class CpuBatch implements BatchHandle {
  private readonly lengths: Int32Array;
  /** Position id of each row's next token (its last position + 1). */
  private readonly next: Int32Array;
  /** Per layer, [batch, maxLength, D]. */
  private keys: Float32Array[];
  private values: Float32Array[];
  private capacity = 0;
  private x: Float32Array = new Float32Array(0);
  private h: Float32Array = new Float32Array(0);
  private qkv: Float32Array = new Float32Array(0);
  private att: Float32Array = new Float32Array(0);
  private mlp: Float32Array = new Float32Array(0);
  private scores: Float32Array;
  /** (WebAssembly) Byte offsets of the arrays above in the instance's memory. */
  private readonly at = {
    keys: [] as number[],
    values: [] as number[],
    scores: 0,
    x: 0,
    h: 0,
    qkv: 0,
    att: 0,
    mlp: 0,
  };
  /** Confidence input only: each row's base logits at its last position fed. */
  private readonly lastLogits: Float32Array;
  private released = false;

  constructor(
    private readonly config: TinyMathConfig,
    private readonly weights: TinyMathWeights,
    readonly batchSize: number,
    readonly maxLength: number,
    private readonly wasm: WasmLinear | null = null,
    /** Takes the WebAssembly instance back when the batch is released. */
    private readonly onRelease: ((wasm: WasmLinear) => void) | null = null,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`TinyMath batch: bad batch size ${batchSize}`);
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > config.nPositions) {
      throw new Error(
        `TinyMath batch: maxLength ${maxLength} must be in 1..${config.nPositions} (the context length)`,
      );
    }
    const size = batchSize * maxLength * config.nEmbd;
    this.lengths = new Int32Array(batchSize);
    this.next = new Int32Array(batchSize);
    if (wasm) {
      // The KV cache and every activation live in the instance's memory: no call copies them.
      wasm.addWeights(
        weights.layers.flatMap((l) => [
          l.attnWeight,
          l.attnProjWeight,
          l.fcWeight,
          l.mlpProjWeight,
        ]),
      );
      this.at.keys = Array.from({ length: config.nLayer }, () => wasm.alloc(size));
      this.at.values = Array.from({ length: config.nLayer }, () => wasm.alloc(size));
      this.at.scores = wasm.alloc(maxLength);
      this.keys = [];
      this.values = [];
      this.scores = new Float32Array(0);
      this.makeViews();
    } else {
      this.keys = Array.from({ length: config.nLayer }, () => new Float32Array(size));
      this.values = Array.from({ length: config.nLayer }, () => new Float32Array(size));
      this.scores = new Float32Array(maxLength);
    }
    this.lastLogits = new Float32Array(batchSize * keptFloatsPerRow(config));
  }

  length(row: number): number {
    return this.lengths[row] ?? 0;
  }

  step(rows: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    return this.prefill(
      rows,
      tokens.map((t) => [t]),
    );
  }

  async prefill(
    rows: readonly number[],
    tokens: readonly (readonly number[])[],
    positions?: readonly (readonly number[])[],
  ): Promise<Float32Array> {
    this.checkLive();
    checkFeed(
      this,
      rows,
      tokens.map((t) => t.length),
      this.config.vocabSize,
      tokens,
    );
    const fed = feedPositions(rows, tokens, positions, this.next, this.config.nPositions);
    let total = 0;
    for (const t of tokens) total += t.length;
    const V = this.config.vocabSize;
    const logits = new Float32Array(total * V);
    // Entries in row order, then position order: a chunk boundary inside a row is fine
    // because the earlier positions' keys and values are already in the cache.
    const entryRow = new Int32Array(total);
    const entryToken = new Int32Array(total);
    const entryPosition = new Int32Array(total);
    let n = 0;
    rows.forEach((row, i) => {
      tokens[i]!.forEach((t, k) => {
        entryRow[n] = row;
        entryToken[n] = t;
        entryPosition[n] = fed[i]![k]!;
        n++;
      });
    });
    for (let start = 0; start < total; start += PREFILL_CHUNK) {
      const end = Math.min(total, start + PREFILL_CHUNK);
      this.forward(
        entryRow.subarray(start, end),
        entryToken.subarray(start, end),
        entryPosition.subarray(start, end),
        logits.subarray(start * V, end * V),
      );
      if (end < total) await yieldToEventLoop();
    }
    return logits;
  }

  fork(source: number, targets: readonly number[]): Promise<void> {
    this.checkLive();
    const len = this.length(source);
    const D = this.config.nEmbd;
    const stride = this.maxLength * D;
    for (const t of targets) {
      if (t < 0 || t >= this.batchSize)
        throw new Error(`TinyMath batch: row ${t} is outside the batch of ${this.batchSize}`);
      if (t === source) continue;
      for (let l = 0; l < this.config.nLayer; l++) {
        this.keys[l]!.copyWithin(t * stride, source * stride, source * stride + len * D);
        this.values[l]!.copyWithin(t * stride, source * stride, source * stride + len * D);
      }
      this.lengths[t] = len;
      this.next[t] = this.next[source]!;
      const K = keptFloatsPerRow(this.config);
      this.lastLogits.copyWithin(t * K, source * K, (source + 1) * K);
    }
    return Promise.resolve();
  }

  saveRow(row: number): SavedRow {
    this.checkLive();
    this.checkRow(row);
    const len = this.length(row);
    const D = this.config.nEmbd;
    const K = keptFloatsPerRow(this.config);
    const at = row * this.maxLength * D;
    return new CpuSavedRow(
      this.config,
      len,
      this.next[row]!,
      this.keys.map((k) => k.slice(at, at + len * D)),
      this.values.map((v) => v.slice(at, at + len * D)),
      this.lastLogits.slice(row * K, (row + 1) * K),
    );
  }

  loadRow(row: number, saved: SavedRow): void {
    this.checkLive();
    this.checkRow(row);
    if (!(saved instanceof CpuSavedRow) || saved.config !== this.config)
      throw new Error('TinyMath batch: that row was saved by another model or backend');
    if (this.length(row) !== 0)
      throw new Error(
        `TinyMath batch: row ${row} is not empty; a saved row loads into an empty one`,
      );
    if (saved.length > this.maxLength) {
      throw new Error(
        `TinyMath batch: the saved row has ${saved.length} tokens, past the batch's maximum length ${this.maxLength}`,
      );
    }
    const at = row * this.maxLength * this.config.nEmbd;
    for (let l = 0; l < this.config.nLayer; l++) {
      this.keys[l]!.set(saved.keys[l]!, at);
      this.values[l]!.set(saved.values[l]!, at);
    }
    this.lengths[row] = saved.length;
    this.next[row] = saved.next;
    this.lastLogits.set(saved.lastLogits, row * keptFloatsPerRow(this.config));
  }

  release(): void {
    if (!this.released && this.wasm) this.onRelease?.(this.wasm);
    this.released = true;
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.batchSize)
      throw new Error(`TinyMath batch: row ${row} is outside the batch of ${this.batchSize}`);
  }

  private checkLive(): void {
    if (this.released) throw new Error('TinyMath batch: used after release()');
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    const D = this.config.nEmbd;
    if (this.wasm) {
      // Doubling, so that the regions left behind stay below the final size.
      const c = Math.max(n, 2 * this.capacity);
      this.capacity = c;
      this.at.x = this.wasm.alloc(c * D);
      this.at.h = this.wasm.alloc(c * D);
      this.at.qkv = this.wasm.alloc(c * 3 * D);
      this.at.att = this.wasm.alloc(c * D);
      this.at.mlp = this.wasm.alloc(c * 4 * D);
      this.makeViews();
      return;
    }
    this.capacity = n;
    this.x = new Float32Array(n * D);
    this.h = new Float32Array(n * D);
    this.qkv = new Float32Array(n * 3 * D);
    this.att = new Float32Array(n * D);
    this.mlp = new Float32Array(n * 4 * D);
  }

  /** (WebAssembly) Views of the instance's memory; made again whenever it grows (alloc). */
  private makeViews(): void {
    const wasm = this.wasm!;
    const { nEmbd: D, nLayer } = this.config;
    const size = this.batchSize * this.maxLength * D;
    for (let l = 0; l < nLayer; l++) {
      this.keys[l] = wasm.view(this.at.keys[l]!, size);
      this.values[l] = wasm.view(this.at.values[l]!, size);
    }
    this.scores = wasm.view(this.at.scores, this.maxLength);
    const c = this.capacity;
    if (c > 0) {
      this.x = wasm.view(this.at.x, c * D);
      this.h = wasm.view(this.at.h, c * D);
      this.qkv = wasm.view(this.at.qkv, c * 3 * D);
      this.att = wasm.view(this.at.att, c * D);
      this.mlp = wasm.view(this.at.mlp, c * 4 * D);
    }
  }

  /**
   * The attention of every entry and head in TypeScript (no WebAssembly SIMD): the scores, the
   * softmax and the weighted sum of values, into att.
   */
  private attend(
    K: Float32Array,
    Vc: Float32Array,
    entryRow: Int32Array,
    pos: Int32Array,
    n: number,
    scale: number,
  ): void {
    const { nEmbd: D, nHead } = this.config;
    const hd = D / nHead;
    const { scores, qkv, att } = this;
    const rowStride = this.maxLength * D;
    for (let e = 0; e < n; e++) {
      const base = entryRow[e]! * rowStride;
      const last = pos[e]!;
      for (let head = 0; head < nHead; head++) {
        const qo = e * 3 * D + head * hd;
        let max = -Infinity;
        for (let t = 0; t <= last; t++) {
          const ko = base + t * D + head * hd;
          // Four partial sums: independent chains the CPU can overlap.
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let i = 0;
          for (; i + 3 < hd; i += 4) {
            s0 += qkv[qo + i]! * K[ko + i]!;
            s1 += qkv[qo + i + 1]! * K[ko + i + 1]!;
            s2 += qkv[qo + i + 2]! * K[ko + i + 2]!;
            s3 += qkv[qo + i + 3]! * K[ko + i + 3]!;
          }
          for (; i < hd; i++) s0 += qkv[qo + i]! * K[ko + i]!;
          const s = (s0 + s1 + (s2 + s3)) * scale;
          scores[t] = s;
          if (s > max) max = s;
        }
        const inv = 1 / softmaxNumerators(scores, last + 1, max);
        const ao = e * D + head * hd;
        const vh = base + head * hd;
        // Four outputs at a time, summed over the positions in locals (no read-modify-write of
        // att[] per position), then normalised once.
        let i = 0;
        for (; i + 3 < hd; i += 4) {
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          for (let t = 0, vo = vh + i; t <= last; t++, vo += D) {
            const p = scores[t]!;
            a0 += p * Vc[vo]!;
            a1 += p * Vc[vo + 1]!;
            a2 += p * Vc[vo + 2]!;
            a3 += p * Vc[vo + 3]!;
          }
          att[ao + i] = a0 * inv;
          att[ao + i + 1] = a1 * inv;
          att[ao + i + 2] = a2 * inv;
          att[ao + i + 3] = a3 * inv;
        }
        for (; i < hd; i++) {
          let a = 0;
          for (let t = 0, vo = vh + i; t <= last; t++, vo += D) a += scores[t]! * Vc[vo]!;
          att[ao + i] = a * inv;
        }
      }
    }
  }

  /**
   * (WebAssembly) The attention of every entry and head, as attend():
   * the scores and the weighted sum in the module, the softmax's exp here.
   */
  private attendWasm(
    K: Float32Array,
    Vc: Float32Array,
    entryRow: Int32Array,
    pos: Int32Array,
    n: number,
    scale: number,
  ): void {
    const wasm = this.wasm!;
    const { nEmbd: D, nHead } = this.config;
    const hd = D / nHead;
    const { scores, qkv, att } = this;
    const rowStride = this.maxLength * D;
    for (let e = 0; e < n; e++) {
      const base = entryRow[e]! * rowStride;
      const count = pos[e]! + 1;
      for (let head = 0; head < nHead; head++) {
        const kv = (base + head * hd) * 4;
        const max = wasm.attnScores(
          qkv.byteOffset + (e * 3 * D + head * hd) * 4,
          K.byteOffset + kv,
          count,
          hd,
          D * 4,
          scale,
          scores.byteOffset,
        );
        const sum = softmaxNumerators(scores, count, max);
        wasm.attnMix(
          scores.byteOffset,
          Vc.byteOffset + kv,
          count,
          hd,
          D * 4,
          1 / sum,
          att.byteOffset + (e * D + head * hd) * 4,
        );
      }
    }
  }

  /**
   * The generator-confidence input (docs/model-format.md): the base's logits at every entry,
   * then each entry gets the projection of [log p(its token), max log p] read from the logits of
   * its row's previous position: the entry before it in this call, or the last one an earlier
   * call fed (kept in `lastLogits`). A row's first position gets the bias alone. With the running
   * sum (format version 4), a third number continues the row's sum, kept after its logits.
   */
  private confidenceInput(
    entryRow: Int32Array,
    entryToken: Int32Array,
    pos: Int32Array,
    n: number,
  ): void {
    const { nEmbd: D, vocabSize: V, layerNormEpsilon: eps } = this.config;
    const { floor, runningSum } = this.config.confidence!;
    const K = keptFloatsPerRow(this.config);
    const cw = this.weights.confidence!;
    const { x, h } = this;
    layerNorm(x, n, D, cw.lnWeight, cw.lnBias, eps, h);
    const z = new Float32Array(n * V);
    tiedLogits(h, n, D, this.weights.wte, V, z);
    let sum = 0;
    let seen = false;
    for (let e = 0; e < n; e++) {
      const row = entryRow[e]!;
      let f0 = 0;
      let f1 = 0;
      if (e > 0 && entryRow[e - 1] === row && pos[e - 1] === pos[e]! - 1) {
        [f0, f1] = confidenceFeatures(z, (e - 1) * V, V, entryToken[e]!, floor);
      } else if (pos[e]! > 0) {
        [f0, f1] = confidenceFeatures(this.lastLogits, row * K, V, entryToken[e]!, floor);
        [sum, seen] = [this.lastLogits[row * K + V]!, this.lastLogits[row * K + V + 1] === 1];
      } else {
        [sum, seen] = [0, false];
      }
      for (let i = 0; i < D; i++)
        x[e * D + i]! += cw.bias[i]! + f0 * cw.weight[i]! + f1 * cw.weight[D + i]!;
      if (runningSum) {
        [sum, seen] = runningSumStep(runningSum, sum, seen, entryToken[e]!, f0);
        const f2 = runningSum.scale * sum;
        for (let i = 0; i < D; i++) x[e * D + i]! += f2 * cw.weight[2 * D + i]!;
      }
      if (e + 1 === n || entryRow[e + 1] !== row) {
        this.lastLogits.set(z.subarray(e * V, (e + 1) * V), row * K);
        if (runningSum) {
          this.lastLogits[row * K + V] = sum;
          this.lastLogits[row * K + V + 1] = seen ? 1 : 0;
        }
      }
    }
  }

  /**
   * One forward pass over `n` (row, token, position id) entries, each in its row's next cache
   * slot.
   */
  private forward(
    entryRow: Int32Array,
    entryToken: Int32Array,
    entryPosition: Int32Array,
    logits: Float32Array,
  ): void {
    const n = entryRow.length;
    const { nEmbd: D, nHead, vocabSize: V, layerNormEpsilon: eps } = this.config;
    const hd = D / nHead;
    const scale = 1 / Math.sqrt(hd);
    const w = this.weights;
    this.ensureCapacity(n);
    const { x, h, qkv, att, mlp } = this;
    const pos = new Int32Array(n);
    for (let e = 0; e < n; e++) {
      const row = entryRow[e]!;
      const p = this.lengths[row]!;
      pos[e] = p;
      this.lengths[row] = p + 1;
      const te = entryToken[e]! * D;
      const pe = entryPosition[e]! * D;
      for (let i = 0; i < D; i++) x[e * D + i] = w.wte[te + i]! + w.wpe[pe + i]!;
    }
    const rowStride = this.maxLength * D;
    for (let l = 0; l < this.config.nLayer; l++) {
      if (l === this.config.confidence?.afterLayer)
        this.confidenceInput(entryRow, entryToken, pos, n);
      const lw = w.layers[l]!;
      const K = this.keys[l]!;
      const Vc = this.values[l]!;
      layerNorm(x, n, D, lw.ln1Weight, lw.ln1Bias, eps, h);
      linear(h, n, D, lw.attnWeight, 3 * D, lw.attnBias, qkv, false, this.wasm);
      // Write every entry's key and value first: a prefill entry attends to earlier entries of this call.
      for (let e = 0; e < n; e++) {
        const at = entryRow[e]! * rowStride + pos[e]! * D;
        K.set(qkv.subarray(e * 3 * D + D, e * 3 * D + 2 * D), at);
        Vc.set(qkv.subarray(e * 3 * D + 2 * D, e * 3 * D + 3 * D), at);
      }
      if (this.wasm) this.attendWasm(K, Vc, entryRow, pos, n, scale);
      else this.attend(K, Vc, entryRow, pos, n, scale);
      linear(att, n, D, lw.attnProjWeight, D, lw.attnProjBias, x, true, this.wasm);
      layerNorm(x, n, D, lw.ln2Weight, lw.ln2Bias, eps, h);
      linear(h, n, D, lw.fcWeight, 4 * D, lw.fcBias, mlp, false, this.wasm);
      geluNew(mlp, n * 4 * D);
      linear(mlp, n, 4 * D, lw.mlpProjWeight, D, lw.mlpProjBias, x, true, this.wasm);
    }
    layerNorm(x, n, D, w.lnFWeight, w.lnFBias, eps, h);
    tiedLogits(h, n, D, w.wte, V, logits);
  }
}

/**
 * Let the event loop run (an abort message, a UI event in the page). A resolved promise is not
 * enough: it only drains microtasks. MessageChannel avoids setTimeout's 4 ms clamp in browsers.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return new Promise((resolve) => setImmediate(resolve));
  }
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
