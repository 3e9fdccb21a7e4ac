/**
 * Token sampling from one row of logits: greedy at temperature 0, otherwise temperature plus
 * nucleus (top-p) sampling, with one uniform draw per token from the row's own Rng so that a
 * completion depends only on (seed, its index, its prompt), never on the rest of the batch.
 */
import type { Rng } from '../../engine/random';

/** log(sum(exp(logits))) over one row, computed stably. */
export function logSumExp(logits: Float32Array, offset: number, size: number): number {
  let max = -Infinity;
  for (let j = 0; j < size; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < size; j++) sum += Math.exp(logits[offset + j]! - max);
  return max + Math.log(sum);
}

/**
 * Pick a token.
 * @param logits row-major logits; the row starts at `offset` and has `size` entries
 * @param temperature 0 means greedy (the lowest id wins ties); otherwise logits are divided by it
 * @param topP keep the smallest set of most likely tokens whose probability reaches topP (1 keeps all)
 * @param rng consumed once per call when temperature > 0
 * @param order scratch space of at least `size` entries (reused to avoid allocation per token)
 */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  size: number,
  temperature: number,
  topP: number,
  rng: Rng,
  order: Int32Array,
  probs: Float64Array,
): number {
  if (temperature <= 0) {
    let best = 0;
    for (let j = 1; j < size; j++) if (logits[offset + j]! > logits[offset + best]!) best = j;
    return best;
  }
  let max = -Infinity;
  for (let j = 0; j < size; j++) max = Math.max(max, logits[offset + j]!);
  let total = 0;
  for (let j = 0; j < size; j++) {
    const p = Math.exp((logits[offset + j]! - max) / temperature);
    probs[j] = p;
    total += p;
    order[j] = j;
  }
  let kept = size;
  let keptMass = total;
  if (topP < 1) {
    // Insertion sort: the vocabulary is small (22), and the order must be deterministic.
    for (let i = 1; i < size; i++) {
      const id = order[i]!;
      const p = probs[id]!;
      let k = i - 1;
      while (k >= 0 && probs[order[k]!]! < p) {
        order[k + 1] = order[k]!;
        k--;
      }
      order[k + 1] = id;
    }
    keptMass = 0;
    for (kept = 0; kept < size;) {
      keptMass += probs[order[kept]!]!;
      kept++;
      if (keptMass >= topP * total) break;
    }
  }
  let r = rng.next() * keptMass;
  for (let i = 0; i < kept; i++) {
    const id = order[i]!;
    r -= probs[id]!;
    if (r < 0) return id;
  }
  return order[kept - 1]!;
}

/**
 * Where generation should stop inside `text`: the end of the earliest stop string that
 * ends after `checkedLength` (text before that was already checked), or -1.
 */
export function findStop(text: string, checkedLength: number, stops: readonly string[]): number {
  let best = -1;
  for (const s of stops) {
    const from = Math.max(0, checkedLength - s.length + 1);
    const at = text.indexOf(s, from);
    if (at >= 0 && (best < 0 || at + s.length < best)) best = at + s.length;
  }
  return best;
}
