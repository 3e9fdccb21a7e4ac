/**
 * The contract between the TinyMath sampler and a compute backend (CPU TypedArrays or WebGPU).
 * A backend owns the weights and the KV cache of a batch of sequences and runs one forward step.
 */
import { logSumExp } from './sampling';

export interface TinyMathConfig {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEpsilon: number;
  /**
   * `generator` writes first attempts (plain prompts), `revision` writes revisions (prompts that
   * hold earlier attempts; the same shape and tensors as a generator), `prm` scores steps.
   */
  role: 'generator' | 'revision' | 'prm';
  parameters: number;
  /**
   * The generator-confidence input (docs/model-format.md, "Generator confidence"): after block
   * `afterLayer`, each position gets a projection of how probable its token was at the position
   * before, floored at `floor`. Absent or null: the model has no such input.
   */
  confidence?: ConfidenceInput | null;
}

export interface ConfidenceInput {
  /** Blocks before the input (at least 1, fewer than nLayer). */
  afterLayer: number;
  /** Lower bound of both log-probabilities. */
  floor: number;
  /**
   * Format version 4: a third number, `scale` x the running sum of the first over the row's
   * positions after its first `after` token (the question line's end), leaving out `skip` (the
   * PRM's tag). Absent or null: two numbers.
   */
  runningSum?: RunningSum | null;
}

export interface RunningSum {
  /** Token id that starts the sum (the positions after the row's first one count). */
  after: number;
  /** Token id whose positions never count. */
  skip: number;
  scale: number;
}

/** Numbers per position of the confidence input: log p(token) and the largest log p. */
export const CONFIDENCE_FEATURES = 2;

/** Numbers per position of a model's confidence input (3 with the running sum). */
export function confidenceFeatureCount(c: ConfidenceInput): number {
  return CONFIDENCE_FEATURES + (c.runningSum ? 1 : 0);
}

/**
 * Floats a batch keeps per row between calls for the confidence input: the base's logits at the
 * row's last position, then with the running sum, the sum so far and whether the row has passed
 * its `after` token (1 or 0).
 */
export function keptFloatsPerRow(c: TinyMathConfig): number {
  if (!c.confidence) return 0;
  return c.vocabSize + (c.confidence.runningSum ? 2 : 0);
}

/**
 * One position's step of the running sum (format version 4): `sum` and `seen` before it, its
 * token and its log p (the first confidence number) give both after it. The sum is rounded to
 * float32 at every step, as a batch keeps it between calls and as the GPU adds it, so a row fed
 * in one call or in many gets the same bits.
 */
export function runningSumStep(
  r: RunningSum,
  sum: number,
  seen: boolean,
  token: number,
  logp: number,
): [number, boolean] {
  return [seen && token !== r.skip ? Math.fround(sum + logp) : sum, seen || token === r.after];
}

/**
 * The confidence input at one position, from the logits the base predicted at the position
 * before: [max(log p(token), floor), max(max log p, floor)].
 */
export function confidenceFeatures(
  logits: Float32Array,
  offset: number,
  vocabSize: number,
  token: number,
  floor: number,
): [number, number] {
  const lse = logSumExp(logits, offset, vocabSize);
  let max = -Infinity;
  for (let v = 0; v < vocabSize; v++) max = Math.max(max, logits[offset + v]!);
  return [Math.max(logits[offset + token]! - lse, floor), Math.max(max - lse, floor)];
}

export interface DecoderBackend {
  readonly name: 'cpu' | 'webgpu';
  readonly config: TinyMathConfig;
  /** GPU compute dispatches one decode step encodes (0 on the CPU): decode speed is bounded by it. */
  readonly dispatchesPerStep: number;
  /**
   * Start a batch of `batchSize` sequences with empty KV caches. Returns a handle for `step`.
   * Sequences in one batch may have different lengths; each advances independently.
   * `maxLength` (at most `config.nPositions`) bounds every row's length, prompt included.
   */
  createBatch(batchSize: number, maxLength: number): Promise<BatchHandle>;
  /** Most rows one batch of `maxLength` tokens may have (memory or buffer-size limits). */
  maxBatchSize(maxLength: number): number;
  dispose(): void;
}

export interface BatchHandle {
  readonly batchSize: number;
  readonly maxLength: number;
  /** Tokens fed to a row so far (its KV cache slots in use). */
  length(row: number): number;
  /**
   * Feed one token per active row, at the position after that row's last one; returns logits
   * [rows x vocab] for the given rows (row-major Float32Array). `rows[i]` indexes the batch;
   * `tokens[i]` is its token.
   */
  step(rows: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /**
   * Feed many tokens to one or more rows (prefill). Returns logits for every fed token,
   * [sum of lengths x vocab], in row order then token order.
   * `positions[i]` gives the position id of each of `tokens[i]` (a revision prompt's layout,
   * `promptPositions`); without it the tokens continue the row's positions (0, 1, 2, ...).
   */
  prefill(
    rows: readonly number[],
    tokens: readonly (readonly number[])[],
    positions?: readonly (readonly number[])[],
  ): Promise<Float32Array>;
  /**
   * Copy row `source`'s KV cache, length and position into each of `targets`, so that many
   * samples of one prompt pay for its prefill once (best-of-N).
   */
  fork(source: number, targets: readonly number[]): Promise<void>;
  /**
   * Optional (WebGPU): decode with the sampling done where the logits are, several steps per
   * call and one readback at the end. Each step feeds one token per row (first `tokens[i]`,
   * then the row's last sample) and samples the next as sampling.ts's sampleToken would, drawing
   * from the row's Rng state. A row stops early once it samples one of `endTokens`, spends its
   * budget, or fills the batch's `maxLength`. Afterwards `length(row)` has grown by the row's
   * count (every sample but the last was fed).
   */
  decodeSampled?(request: SampledDecodeRequest): Promise<SampledDecodeResult>;
  /**
   * Optional (CPU): a copy of row `row`'s state (KV cache, length, next position, the confidence
   * input's last logits) that outlives the batch, for prefixCache.ts.
   */
  saveRow?(row: number): SavedRow;
  /** Optional (CPU): make empty row `row` what `saved` was (a row saved by a batch of this backend). */
  loadRow?(row: number, saved: SavedRow): void;
  release(): void;
}

/** A row's state copied out of a batch (saveRow). */
export interface SavedRow {
  /** Tokens in its KV cache. */
  readonly length: number;
  /** Memory it holds. */
  readonly bytes: number;
}

export interface SampledDecodeRequest {
  rows: readonly number[];
  /** The token each row feeds first. */
  tokens: readonly number[];
  /** Each row's Rng state before its next draw (`Rng.current`); unused at temperature 0. */
  rngStates: readonly number[];
  /** Most tokens each row may still sample (at least 1). */
  budgets: readonly number[];
  /** Most steps to run (at most MAX_SAMPLED_STEPS). */
  steps: number;
  temperature: number;
  topP: number;
  /** Token ids never sampled. */
  banned: readonly number[];
  /** Token ids that end a row once sampled (<eos>, a one-token stop string). */
  endTokens: readonly number[];
}

export interface SampledDecodeResult {
  /** Tokens sampled: `steps` slots per row, in request order; the first counts[i] are real. */
  tokens: Int32Array;
  /** Log-probability of each sampled token under the model (before temperature and bans). */
  logprobs: Float32Array;
  counts: Int32Array;
}

/** Most steps one decodeSampled call runs. */
export const MAX_SAMPLED_STEPS = 64;

/**
 * Thrown by a backend whose device has gone (GPU device lost, out of memory). The runtime then
 * switches to the CPU path; the run in progress fails with this error and the app restarts it.
 */
export class BackendLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendLostError';
  }
}

/**
 * The position ids of each fed token, one array per row: `positions[i]` where given (checked),
 * otherwise continuing from `next[row]` (the position after the row's last token). Advances
 * `next[row]` past the last one, so a backend only keeps `next` and copies it on fork.
 */
export function feedPositions(
  rows: readonly number[],
  tokens: readonly (readonly number[])[],
  positions: readonly (readonly number[])[] | undefined,
  next: Int32Array,
  nPositions: number,
): (readonly number[])[] {
  if (positions && positions.length !== rows.length)
    throw new Error(`TinyMath batch: ${rows.length} rows but ${positions.length} position lists`);
  const fed = rows.map((row, i) => {
    const n = tokens[i]!.length;
    const given = positions?.[i];
    if (!given) return Array.from({ length: n }, (_, k) => next[row]! + k);
    if (given.length !== n)
      throw new Error(`TinyMath batch: row ${row} has ${n} tokens but ${given.length} positions`);
    for (const p of given) {
      if (!Number.isInteger(p) || p < 0 || p >= nPositions)
        throw new Error(
          `TinyMath batch: position ${p} is outside the model's ${nPositions} positions`,
        );
    }
    return given;
  });
  rows.forEach((row, i) => {
    const last = fed[i]![fed[i]!.length - 1];
    if (last !== undefined) next[row] = last + 1;
  });
  return fed;
}

/** Check the arguments every BatchHandle method shares; the message says which call was wrong. */
export function checkFeed(
  handle: BatchHandle,
  rows: readonly number[],
  counts: readonly number[],
  vocabSize: number,
  tokens: readonly (readonly number[])[],
): void {
  if (rows.length !== counts.length)
    throw new Error(`TinyMath batch: ${rows.length} rows but ${counts.length} token lists`);
  const seen = new Set<number>();
  rows.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || row >= handle.batchSize) {
      throw new Error(`TinyMath batch: row ${row} is outside the batch of ${handle.batchSize}`);
    }
    if (seen.has(row)) throw new Error(`TinyMath batch: row ${row} appears twice in one call`);
    seen.add(row);
    const end = handle.length(row) + counts[i]!;
    if (end > handle.maxLength) {
      throw new Error(
        `TinyMath batch: row ${row} would reach ${end} tokens, past the batch's maximum length ${handle.maxLength}`,
      );
    }
    for (const t of tokens[i] ?? []) {
      if (!Number.isInteger(t) || t < 0 || t >= vocabSize)
        throw new Error(`TinyMath batch: token id ${t} is outside the vocabulary`);
    }
  });
}
