/**
 * The compute-optimal strategy (the paper's section 5): at each difficulty bin and budget, the
 * setting that does best there, chosen by 2-fold cross-validation so the curve is not fitted to
 * the problems it is scored on; and how many times less compute it needs than best-of-N.
 */
import { shuffled } from './stats';

export interface CrossValidatedChoice {
  /** Held-out accuracy: each problem is scored with the setting chosen on the other fold. */
  accuracy: number;
  /** The setting index chosen on each fold (fold 0 chooses for fold 1 and vice versa). */
  chosen: number[];
  /** Per problem (in input order), the setting index it was evaluated with. */
  evaluatedWith: number[];
  /** Problem indices of each fold. */
  folds: number[][];
  /** False when there were too few problems to split (one problem: chosen and scored on itself). */
  crossValidated: boolean;
}

function bestSetting(table: readonly (readonly number[])[], rows: readonly number[]): number {
  const settings = table[0]?.length ?? 0;
  let best = 0;
  let bestMean = -Infinity;
  for (let s = 0; s < settings; s++) {
    let sum = 0;
    for (const r of rows) sum += table[r]?.[s] as number;
    const mean = sum / rows.length;
    // Strictly greater: ties go to the earlier setting, so callers order settings by preference.
    if (mean > bestMean) {
      bestMean = mean;
      best = s;
    }
  }
  return best;
}

/**
 * 2-fold cross-validated choice of a setting. The problems are shuffled (seeded) and split in two
 * halves; the best setting on one half (highest mean accuracy, earlier setting on ties) is scored
 * on the other, and the other way round. The result counts each problem once, so it is the mean
 * of the two folds weighted by their sizes.
 *
 * @param table accuracy[problem][setting], each in [0,1]; every row the same length
 * @param seed seed of the split
 */
export function twoFoldChoice(
  table: readonly (readonly number[])[],
  seed: number,
): CrossValidatedChoice {
  const n = table.length;
  if (n === 0 || (table[0]?.length ?? 0) === 0) {
    throw new Error('twoFoldChoice: need at least one problem and one setting');
  }
  if (table.some((row) => row.length !== table[0]?.length)) {
    throw new Error('twoFoldChoice: every problem needs a value for every setting');
  }
  if (n === 1) {
    const s = bestSetting(table, [0]);
    return {
      accuracy: table[0]?.[s] as number,
      chosen: [s],
      evaluatedWith: [s],
      folds: [[0]],
      crossValidated: false,
    };
  }
  const order = shuffled(
    table.map((_, i) => i),
    seed,
  );
  const half = Math.ceil(n / 2);
  const folds = [order.slice(0, half), order.slice(half)];
  const chosen = folds.map((f) => bestSetting(table, f));
  const evaluatedWith = new Array<number>(n);
  let sum = 0;
  folds.forEach((fold, f) => {
    const s = chosen[1 - f] as number;
    for (const r of fold) {
      evaluatedWith[r] = s;
      sum += table[r]?.[s] as number;
    }
  });
  return { accuracy: sum / n, chosen, evaluatedWith, folds, crossValidated: true };
}

/** One point of an accuracy-versus-compute curve. */
export interface CurvePoint {
  /** Compute spent, in any unit (generations, tokens, FLOPs); must be > 0. */
  cost: number;
  accuracy: number;
}

export interface SavingsPoint extends CurvePoint {
  /** Compute best-of-N needs to reach `accuracy`; null if it never does within its curve. */
  baselineCost: number | null;
  /** baselineCost / cost: how many times less compute this point needs; null with baselineCost. */
  savings: number | null;
  /**
   * True when best-of-N already beats `accuracy` at its smallest budget: we cannot see below it,
   * so baselineCost is that smallest cost and `savings` is an upper bound.
   */
  atBaselineStart: boolean;
}

const EPS = 1e-12;

/**
 * The compute best-of-N needs to reach an accuracy: the first point where its curve gets there,
 * linearly interpolated on log2(compute) between the two points around the crossing.
 *
 * @param baseline best-of-N's curve; sorted by cost inside
 * @returns null if the curve never reaches `accuracy`
 */
export function computeToReach(
  baseline: readonly CurvePoint[],
  accuracy: number,
): { cost: number; atStart: boolean } | null {
  const curve = baseline.filter((p) => p.cost > 0).sort((a, b) => a.cost - b.cost);
  const first = curve[0];
  if (first === undefined) return null;
  if (first.accuracy >= accuracy - EPS) return { cost: first.cost, atStart: true };
  for (let j = 1; j < curve.length; j++) {
    const hi = curve[j] as CurvePoint;
    if (hi.accuracy < accuracy - EPS) continue;
    const lo = curve[j - 1] as CurvePoint;
    // lo is below the target (else we would have stopped there), so hi.accuracy > lo.accuracy.
    const t = Math.min(1, Math.max(0, (accuracy - lo.accuracy) / (hi.accuracy - lo.accuracy)));
    const log2 = Math.log2(lo.cost) + t * (Math.log2(hi.cost) - Math.log2(lo.cost));
    return { cost: 2 ** log2, atStart: false };
  }
  return null;
}

/**
 * For each point of a (compute-optimal) curve: how many times less compute it needs than
 * best-of-N to reach the same accuracy. With best-of-N reaching at 4b what the curve reaches at
 * b, the saving is 4.
 *
 * @param curve the compute-optimal curve (or any strategy's)
 * @param baseline best-of-N's curve in the same compute unit
 */
export function computeSavings(
  curve: readonly CurvePoint[],
  baseline: readonly CurvePoint[],
): SavingsPoint[] {
  return curve.map((p) => {
    const reach = computeToReach(baseline, p.accuracy);
    if (reach === null || p.cost <= 0) {
      return { ...p, baselineCost: reach?.cost ?? null, savings: null, atBaselineStart: false };
    }
    return {
      ...p,
      baselineCost: reach.cost,
      savings: reach.cost / p.cost,
      atBaselineStart: reach.atStart,
    };
  });
}
