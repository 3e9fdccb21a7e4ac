/**
 * The contract between the TinyMath sampler and a compute backend (CPU TypedArrays or WebGPU).
 * A backend owns the weights and the KV cache of a batch of sequences and runs one forward step.
 */
export interface TinyMathConfig {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEpsilon: number;
  role: 'generator' | 'prm';
  parameters: number;
}

export interface DecoderBackend {
  readonly name: 'cpu' | 'webgpu';
  readonly config: TinyMathConfig;
  /**
   * Start a batch of `batchSize` sequences with empty KV caches. Returns a handle for `step`.
   * Sequences in one batch may have different lengths; each advances independently.
   */
  createBatch(batchSize: number, maxLength: number): Promise<BatchHandle>;
  dispose(): void;
}

export interface BatchHandle {
  /**
   * Feed one token per active row at that row's next position; returns logits [rows x vocab]
   * for the given rows (row-major Float32Array). `rows[i]` indexes the batch; `tokens[i]` is its token.
   */
  step(rows: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /**
   * Feed many tokens to one or more rows (prefill). Returns logits for every fed position,
   * [sum of lengths x vocab], in row order then position order.
   */
  prefill(rows: readonly number[], tokens: readonly (readonly number[])[]): Promise<Float32Array>;
  release(): void;
}
