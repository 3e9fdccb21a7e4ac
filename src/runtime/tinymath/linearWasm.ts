/**
 * cpu.ts's matrix product in WebAssembly SIMD (scripts/linear-wasm.ts writes it). The same
 * arithmetic as the TypeScript loop, so the results are bit for bit the same, at about twice the
 * speed. The weights are copied into the module's memory once; each call copies its input and
 * output in and the output back (a few percent of the work). Where WebAssembly SIMD is missing,
 * `WasmLinear.create()` returns null and the CPU path stays in TypeScript.
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

export class WasmLinear {
  /** Byte offset of each registered weight matrix in the module's memory. */
  private readonly offsets = new Map<Float32Array, number>();
  /** End of the weights: scratch for a call's input and output starts here. */
  private weightsEnd = 0;
  private heap: Float32Array;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly fn: LinearExport,
  ) {
    this.heap = new Float32Array(memory.buffer);
  }

  /** A fresh instance with its own memory, or null without WebAssembly SIMD. */
  static create(): WasmLinear | null {
    if (typeof WebAssembly === 'undefined') return null;
    const module = wasmModule();
    if (!module) return null;
    const instance = new WebAssembly.Instance(module, {});
    const { memory, linear } = instance.exports as {
      memory: WebAssembly.Memory;
      linear: LinearExport;
    };
    return new WasmLinear(memory, linear);
  }

  /** Copy weight matrices into the module's memory (once, before any call). */
  addWeights(matrices: readonly Float32Array[]): void {
    const fresh = matrices.filter((m) => !this.offsets.has(m));
    let at = this.weightsEnd;
    this.ensureBytes(at + fresh.reduce((n, m) => n + m.byteLength, 0));
    for (const m of fresh) {
      this.heap.set(m, at / 4);
      this.offsets.set(m, at);
      at += m.byteLength;
    }
    this.weightsEnd = at;
  }

  has(w: Float32Array): boolean {
    return this.offsets.has(w);
  }

  /** out[rows x mDim] += x[rows x kDim] . w[kDim x mDim], as cpu.ts's linear() after its bias. */
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
    const xAt = this.weightsEnd;
    const outAt = xAt + rows * kDim * 4;
    this.ensureBytes(outAt + rows * mDim * 4);
    this.heap.set(x.subarray(0, rows * kDim), xAt / 4);
    this.heap.set(out.subarray(0, rows * mDim), outAt / 4);
    this.fn(xAt, rows, kDim, wAt, mDim, outAt);
    out.set(this.heap.subarray(outAt / 4, outAt / 4 + rows * mDim));
  }

  private ensureBytes(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.heap = new Float32Array(this.memory.buffer);
  }
}
