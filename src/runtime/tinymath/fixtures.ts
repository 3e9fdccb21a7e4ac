/**
 * Synthetic TinyMath exports with seeded random weights, for tests, the benchmark and the
 * parity page. They have the real vocabulary and file layout, so every code path (parsing,
 * validation, both backends, sampling) runs without a trained model; they say nothing about
 * quality. Never shown to users as "the model".
 */
import { Rng } from '../../engine/random';
import type { ConfidenceInput, DecoderBackend } from './backend';
import type { BackendSource } from './model';
import { countParameters, expectedShapes, type ExportFiles } from './format';
import { encodeSafetensors } from './safetensors';

/**
 * Where token-by-token decoding may take over from a prefill (parity tests): from this index on
 * (and at least `atLeast`) each position id follows the one before, as decode steps assume.
 */
export function contiguousFrom(positions: readonly number[], atLeast: number): number {
  let k = positions.length;
  while (k > 1 && positions[k - 1] === positions[k - 2]! + 1) k--;
  return Math.min(positions.length, Math.max(k, atLeast));
}

/** A BackendSource that always hands out `backend` and passes its failures on unchanged. */
export function fixedSource(backend: DecoderBackend): BackendSource {
  return { backend: () => backend, failed: (e) => e };
}

/**
 * `backend` with its batches' decodeSampled hidden: TinyMathModel then reads the logits back
 * every step and samples them on the host. The reference for sampling on the device.
 */
export function hostSampled(backend: DecoderBackend): DecoderBackend {
  return {
    name: backend.name,
    config: backend.config,
    dispatchesPerStep: backend.dispatchesPerStep,
    maxBatchSize: (n) => backend.maxBatchSize(n),
    dispose: () => undefined,
    createBatch: async (n, maxLength) => {
      const b = await backend.createBatch(n, maxLength);
      return {
        batchSize: b.batchSize,
        maxLength: b.maxLength,
        length: (r) => b.length(r),
        step: (rows, tokens) => b.step(rows, tokens),
        prefill: (rows, tokens, positions) => b.prefill(rows, tokens, positions),
        fork: (source, targets) => b.fork(source, targets),
        release: () => b.release(),
      };
    },
  };
}

/** Largest |a[i] - b[offset + i]| over `a`. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[offset + i]!));
  return m;
}

/**
 * Parity of a backend against reference logits (golden.json's, or the CPU path's): prefill the
 * first half of `ids` (at least up to where the positions become contiguous), decode the rest one
 * token at a time, and return the largest difference over every logit.
 */
export async function goldenMaxDiff(
  backend: DecoderBackend,
  ids: number[],
  positions: number[],
  reference: ArrayLike<number>,
): Promise<number> {
  const V = backend.config.vocabSize;
  const half = contiguousFrom(positions, Math.max(1, Math.floor(ids.length / 2)));
  const batch = await backend.createBatch(1, ids.length);
  let worst = maxAbsDiff(
    await batch.prefill([0], [ids.slice(0, half)], [positions.slice(0, half)]),
    reference,
  );
  for (let t = half; t < ids.length; t++) {
    worst = Math.max(worst, maxAbsDiff(await batch.step([0], [ids[t]!]), reference, t * V));
  }
  batch.release();
  return worst;
}

/** The TinyMath character vocabulary (training/tinymath/tokenizer.py). */
export const TINYMATH_VOCAB = ['<pad>', '<eos>', ...'\n0123456789+-*=,:QA?'];

export interface SyntheticShape {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nPositions: number;
  role?: 'generator' | 'revision' | 'prm';
  /** A generator-confidence input (docs/model-format.md), as a PRM export may have. */
  confidence?: ConfidenceInput;
  /** A PRM's tag (default `?`; `\n`: it reads solutions as written, format version 4). */
  prmTag?: string;
  /** Standard deviation of the matrices; larger values give larger, more peaked logits. */
  scale?: number;
}

/** A plausible tokenizer.json for the TinyMath vocabulary. */
export function tokenizerJson(): string {
  return JSON.stringify({
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<pad>', special: true },
      { id: 1, content: '<eos>', special: true },
    ],
    model: {
      type: 'BPE',
      vocab: Object.fromEntries(TINYMATH_VOCAB.map((s, i) => [s, i])),
      merges: [],
    },
  });
}

/** config.json for a shape, in the export's format. */
export function configJson(shape: SyntheticShape): string {
  const role = shape.role ?? 'generator';
  const c = { vocabSize: TINYMATH_VOCAB.length, ...shape };
  return JSON.stringify({
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    eos_token_id: 1,
    pad_token_id: 0,
    ttc_lab: {
      // The lowest version that reads it, as training/tinymath/export.py writes.
      format_version: shape.confidence?.runningSum || shape.prmTag === '\n' ? 4 : 3,
      role,
      parameters: countParameters(c),
      prm: role === 'prm' ? { tag: shape.prmTag ?? '?', good: '+', bad: '-' } : null,
      confidence: shape.confidence ? confidenceJson(shape.confidence) : null,
    },
  });
}

/** ttc_lab.confidence for an input (token ids back to the vocabulary's strings). */
function confidenceJson(c: ConfidenceInput): object {
  const r = c.runningSum;
  return {
    after_layer: c.afterLayer,
    floor: c.floor,
    ...(r
      ? {
          running_sum: {
            after: TINYMATH_VOCAB[r.after],
            skip: TINYMATH_VOCAB[r.skip],
            scale: r.scale,
          },
        }
      : {}),
  };
}

/** The running sum a TinyMath PRM export has (training/tinymath/model.py): after "\n", not "?". */
export const TINYMATH_RUNNING_SUM = {
  after: TINYMATH_VOCAB.indexOf('\n'),
  skip: TINYMATH_VOCAB.indexOf('?'),
  scale: 0.1,
};

/** Gaussian-ish noise from the seeded Rng (sum of uniforms; exact shape does not matter). */
function noise(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * std;
  return out;
}

/** The tensors of a synthetic export, by name (LayerNorm weights near 1, other tensors noise). */
export function syntheticTensors(
  shape: SyntheticShape,
  seed: number,
): { name: string; shape: number[]; data: Float32Array }[] {
  const rng = new Rng(seed);
  const scale = shape.scale ?? 0.3;
  const cfg = {
    vocabSize: TINYMATH_VOCAB.length,
    nPositions: shape.nPositions,
    nEmbd: shape.nEmbd,
    nLayer: shape.nLayer,
    nHead: shape.nHead,
    layerNormEpsilon: 1e-5,
    role: shape.role ?? 'generator',
    parameters: 0,
    confidence: shape.confidence ?? null,
  };
  return [...expectedShapes(cfg)].map(([name, dims]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (/ln_([12f]|conf)\.weight$/.test(name)) data = noise(rng, n, 0.2).map((v) => 1 + v);
    else if (dims.length === 1) data = noise(rng, n, 0.1);
    else data = noise(rng, n, scale);
    return { name, shape: dims, data };
  });
}

/**
 * A small PRM-shaped export with the generator-confidence input after its first block, for tests
 * of what a PRM does across calls and forks; `runningSum` gives the input its third number.
 */
export function syntheticConfidencePrm(seed: number, runningSum = false): ExportFiles {
  return syntheticExport(
    {
      nEmbd: 16,
      nLayer: 2,
      nHead: 2,
      nPositions: 128,
      role: 'prm',
      scale: 0.6,
      confidence: {
        afterLayer: 1,
        floor: -12,
        runningSum: runningSum ? TINYMATH_RUNNING_SUM : null,
      },
    },
    seed,
    'tinymath-prm',
  );
}

/** A whole synthetic export (float32 safetensors). */
export function syntheticExport(
  shape: SyntheticShape,
  seed: number,
  name = 'synthetic-tinymath',
): ExportFiles {
  return {
    name,
    config: configJson(shape),
    tokenizer: tokenizerJson(),
    safetensors: encodeSafetensors(syntheticTensors(shape, seed)),
  };
}
