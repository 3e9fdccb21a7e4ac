/**
 * Difficulty bins, as in the paper: problems split into 5 quantiles of a difficulty signal.
 * Oracle bins use each problem's pass@1 (from its pool, so they need the answers); predicted bins
 * use the mean verifier score of the pool (what a deployed system could know without answers).
 */
import { hashString } from './stats';

/** A problem's value on a difficulty signal where higher means easier (pass@1, mean score). */
export interface DifficultyValue {
  problemId: string;
  value: number;
}

export interface BinRange {
  /** 1 = easiest. */
  bin: number;
  count: number;
  /** Smallest and largest signal value inside the bin. */
  min: number;
  max: number;
}

export interface DifficultyBins {
  /** Number of bins actually used: min(requested, number of problems). */
  bins: number;
  /** problemId -> difficultyBin (1 = easiest). */
  binOf: Record<string, number>;
  ranges: BinRange[];
}

/**
 * Quantile bins with equal counts (sizes differ by at most one). Problems are ranked from the
 * highest value (easiest, bin 1) to the lowest. Ties are common with small pools (many problems
 * at pass@1 = 0); to keep the counts equal they are broken by a fixed hash of the problem id, so
 * the assignment is deterministic and does not favour alphabetical order. With fewer problems
 * than bins, each problem gets its own bin (1..P) so that no bin is empty.
 *
 * @param values one value per problem; higher = easier
 * @param bins requested number of bins (the paper: 5)
 */
export function difficultyBins(values: readonly DifficultyValue[], bins = 5): DifficultyBins {
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`difficultyBins: bins must be ≥ 1, got ${bins}`);
  for (const v of values) {
    if (!Number.isFinite(v.value)) {
      throw new Error(`difficultyBins: problem ${v.problemId} has a non-finite value ${v.value}`);
    }
  }
  const k = Math.min(bins, values.length);
  const ranked = values
    .map((v) => ({ ...v, tie: hashString(v.problemId) }))
    .sort((a, b) => b.value - a.value || a.tie - b.tie || (a.problemId < b.problemId ? -1 : 1));
  const binOf: Record<string, number> = {};
  const ranges: BinRange[] = [];
  ranked.forEach((v, rank) => {
    const bin = Math.floor((rank * k) / ranked.length) + 1;
    binOf[v.problemId] = bin;
    const range = ranges[bin - 1];
    if (range === undefined) ranges.push({ bin, count: 1, min: v.value, max: v.value });
    else {
      range.count++;
      range.min = Math.min(range.min, v.value);
      range.max = Math.max(range.max, v.value);
    }
  });
  return { bins: k, binOf, ranges };
}
