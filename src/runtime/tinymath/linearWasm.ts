/**
 * cpu.ts's matrix products and attention in WebAssembly SIMD (scripts/linear-wasm.ts writes
 * them). The same arithmetic in the same order as the TypeScript loops, so the results are bit
 * for bit the same (the softmax's exp stays in TypeScript: Math.exp is not an instruction).
 * Where WebAssembly SIMD is missing, `WasmLinear.create()` returns null and the CPU path stays in
 * TypeScript.
 */
import { LINEAR_WASM_BASE64 } from './linearWasmBytes';

const PAGE = 65536;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let compiled: WebAssembly.Module | null | undefined;

function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = decodeBase64(LINEAR_WASM_BASE64);
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

type LinearExport = (
  x: number,
  rows: number,
  kDim: number,
  w: number,
  mDim: number,
  out: number,
) => void;
type ScoresExport = (
  q: number,
  k: number,
  n: number,
  hd: number,
  stride: number,
  scale: number,
  out: number,
) => number;
type MixExport = (
  p: number,
  v: number,
  n: number,
  hd: number,
  stride: number,
  inv: number,
  out: number,
) => void;

interface Exports {
  memory: WebAssembly.Memory;
  linear: LinearExport;
  attn_scores: ScoresExport;
  attn_mix: MixExport;
}

/**
 * One instance of the module: its own memory, where the caller copies weights and allocates
 * arrays (a CPU batch keeps its KV cache and activations there, so no call copies them).
 */
export class WasmLinear {
  /** Byte offset of each registered weight matrix in the module's memory. */
  private readonly offsets = new Map<Float32Array, number>();
  /** End of what is allocated. */
  private end = 0;
  /** End of the weight matrices: what reset() keeps. */
  private weightsEnd = 0;

  /**
   * One head's attention scores over `n` keys `stride` bytes apart, into the f32 array at
   * `out`; returns the largest unrounded score (cpu.ts's attention). Byte offsets.
   */
  readonly attnScores: ScoresExport;
  /** One head's output: the values weighted by the probabilities at `p`, times `inv`. */
  readonly attnMix: MixExport;

  private constructor(private readonly exports: Exports) {
    this.attnScores = exports.attn_scores;
    this.attnMix = exports.attn_mix;
  }

  /** Whether this JavaScript engine has WebAssembly SIMD (the module compiles). */
  static available(): boolean {
    return typeof WebAssembly !== 'undefined' && wasmModule() !== null;
  }

  /** A fresh instance with its own memory, or null without WebAssembly SIMD. */
  static create(): WasmLinear | null {
    if (!WasmLinear.available()) return null;
    return new WasmLinear(
      new WebAssembly.Instance(wasmModule()!, {}).exports as unknown as Exports,
    );
  }

  /** Copy weight matrices into the module's memory (once, before any call). */
  addWeights(matrices: readonly Float32Array[]): void {
    for (const m of matrices) {
      if (this.offsets.has(m)) continue;
      const at = this.alloc(m.length);
      this.view(at, m.length).set(m);
      this.offsets.set(m, at);
      this.weightsEnd = this.end;
    }
  }

  /**
   * Frees everything allocated after the weights, for the next batch to reuse the instance: its
   * weights stay in place and its memory keeps its size. Call it only once nothing uses those
   * allocations (the batch that made them is released). Returns this.
   */
  reset(): this {
    this.end = this.weightsEnd;
    return this;
  }

  /**
   * Room for `floats` floats (16-byte aligned); returns its byte offset. May grow the memory,
   * which detaches every view made before: make them again (CpuBatch.makeViews).
   */
  alloc(floats: number): number {
    const at = this.end;
    this.end = at + Math.ceil((floats * 4) / 16) * 16;
    this.ensureBytes(this.end);
    return at;
  }

  /** A view of `floats` floats at byte offset `at` (make it again after a growth). */
  view(at: number, floats: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, at, floats);
  }

  has(w: Float32Array): boolean {
    return this.offsets.has(w);
  }

  /**
   * out[rows x mDim] += x[rows x kDim] . w[kDim x mDim], as cpu.ts's linear() after its bias.
   * `x` and `out` are views of this module's memory (alloc, view): nothing is copied, and the
   * memory never grows behind a caller's views.
   */
  accumulate(
    x: Float32Array,
    rows: number,
    kDim: number,
    w: Float32Array,
    mDim: number,
    out: Float32Array,
  ): void {
    const wAt = this.offsets.get(w);
    if (wAt === undefined) throw new Error('WasmLinear: weights not added');
    const memory = this.exports.memory.buffer;
    if (x.buffer !== memory || out.buffer !== memory)
      throw new Error("WasmLinear: the input and output must be views of the module's memory");
    this.exports.linear(x.byteOffset, rows, kDim, wAt, mDim, out.byteOffset);
  }

  private ensureBytes(bytes: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    memory.grow(Math.ceil((bytes - have) / PAGE));
  }
}
