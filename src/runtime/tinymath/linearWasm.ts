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
  /** End of what is allocated: scratch for a call's copied input and output starts here. */
  private end = 0;
  private heap: Float32Array;
  /** Counts memory growths: views made before one are detached and must be made again. */
  generation = 0;

  /**
   * One head's attention scores over `n` keys `stride` bytes apart, into the f32 array at
   * `out`; returns the largest unrounded score (cpu.ts's attention). Byte offsets.
   */
  readonly attnScores: ScoresExport;
  /** One head's output: the values weighted by the probabilities at `p`, times `inv`. */
  readonly attnMix: MixExport;

  private constructor(private readonly exports: Exports) {
    this.heap = new Float32Array(exports.memory.buffer);
    this.attnScores = exports.attn_scores;
    this.attnMix = exports.attn_mix;
  }

  /** A fresh instance with its own memory, or null without WebAssembly SIMD. */
  static create(): WasmLinear | null {
    if (typeof WebAssembly === 'undefined') return null;
    const module = wasmModule();
    if (!module) return null;
    return new WasmLinear(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
  }

  /** Copy weight matrices into the module's memory (once, before any call). */
  addWeights(matrices: readonly Float32Array[]): void {
    for (const m of matrices) {
      if (this.offsets.has(m)) continue;
      const at = this.alloc(m.length);
      this.heap.set(m, at / 4);
      this.offsets.set(m, at);
    }
  }

  /** Room for `floats` floats (16-byte aligned); returns its byte offset. May grow the memory. */
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
   * Arrays in the module's memory are used in place; others are copied in (and out) through
   * scratch space, which may grow the memory.
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
    const inside = (a: Float32Array) => a.buffer === this.exports.memory.buffer;
    if (inside(x) && inside(out)) {
      this.exports.linear(x.byteOffset, rows, kDim, wAt, mDim, out.byteOffset);
      return;
    }
    const xAt = this.end;
    const outAt = xAt + rows * kDim * 4;
    this.ensureBytes(outAt + rows * mDim * 4);
    this.heap.set(x.subarray(0, rows * kDim), xAt / 4);
    this.heap.set(out.subarray(0, rows * mDim), outAt / 4);
    this.exports.linear(xAt, rows, kDim, wAt, mDim, outAt);
    out.set(this.heap.subarray(outAt / 4, outAt / 4 + rows * mDim));
  }

  private ensureBytes(bytes: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    memory.grow(Math.ceil((bytes - have) / PAGE));
    this.heap = new Float32Array(memory.buffer);
    this.generation++;
  }
}
