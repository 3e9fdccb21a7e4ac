/**
 * From sweep records to what the plots and the CSV export show: per difficulty bin, per setting
 * and per budget, accuracy with a 95% interval and the cost in every compute unit; the
 * compute-optimal curve (2-fold cross-validated within each bin); and its savings over best-of-N.
 * Everything returned is plain JSON (no NaN, no undefined values, no Maps).
 */
import { difficultyBins, type BinRange, type DifficultyBins } from './bins';
import { computeSavings, twoFoldChoice, type SavingsPoint } from './computeOptimal';
import { poolMeanScore, poolPassAt1 } from './pool';
import {
  settingRunsAt,
  type PoolRecord,
  type ResultRecord,
  type SweepRecord,
  type SweepSetting,
} from './runner';
import { bootstrapMean, hashString, type Interval } from './stats';
import { COMPUTE_UNITS, costsByUnit, meanCosts, type ComputeUnit } from './units';

export interface SummaryOptions {
  /** The sweep's settings; their order breaks ties in the compute-optimal choice. */
  settings: readonly SweepSetting<unknown>[];
  /** Budgets to report; default every budget that appears in the records. */
  budgets?: readonly number[];
  /** The best-of-N setting savings are measured against; default the first weighted pool setting. */
  baselineSettingId?: string;
  /** Number of difficulty bins (the paper: 5). */
  bins?: number;
  /** Bootstrap resamples for the intervals. Default 500. */
  bootstrapResamples?: number;
  seed?: number;
}

export interface SettingPoint {
  budget: number;
  /** Problems with a record at this budget. */
  problems: number;
  accuracy: Interval;
  /** Mean cost per problem in each unit. */
  cost: Record<ComputeUnit, number>;
}

export interface ComputeOptimalPoint {
  budget: number;
  /** Problems that have a record for every candidate setting at this budget. */
  problems: number;
  /** Held-out accuracy of the cross-validated choice. */
  accuracy: number;
  /** The setting chosen on each fold (one entry when the bin was too small to split). */
  chosen: string[];
  crossValidated: boolean;
  /** Mean cost per problem of the settings the problems were scored with. */
  cost: Record<ComputeUnit, number>;
}

export interface BinSummary {
  /** 1 = easiest; null for the group of all problems. */
  bin: number | null;
  problemIds: string[];
  /** Range of the binning signal inside the bin; null for all problems. */
  range: BinRange | null;
  /** settingId -> points by budget (budgets without records are left out). */
  curves: Record<string, SettingPoint[]>;
  computeOptimal: ComputeOptimalPoint[];
  /** Savings of the compute-optimal curve over the baseline, per unit; null without a baseline. */
  savings: Record<ComputeUnit, SavingsPoint[]> | null;
}

export interface BinningSummary {
  kind: 'oracle' | 'predicted';
  /** What the bins are made from. */
  signal: 'pass@1' | 'mean verifier score';
  bins: BinSummary[];
}

export interface ProblemSummary {
  problemId: string;
  /** pass@1 from the pool; null without a pool. */
  passAt1: number | null;
  meanScore: number | null;
  oracleBin: number | null;
  predictedBin: number | null;
}

export interface SweepSummary {
  budgets: number[];
  units: ComputeUnit[];
  settings: { id: string; label: string; kind: 'pool' | 'search' }[];
  baselineSettingId: string | null;
  problems: ProblemSummary[];
  overall: BinSummary;
  oracle: BinningSummary;
  /** null when no pool sample has a verifier score. */
  predicted: BinningSummary | null;
}

interface Index {
  pools: Map<string, PoolRecord>;
  results: Map<string, ResultRecord>;
}

const key = (problemId: string, settingId: string, budget: number) =>
  `${problemId}\u0000${settingId}\u0000${budget}`;

function groupSeed(seed: number, ...parts: (string | number)[]): number {
  return (seed + hashString(parts.join('/'))) >>> 0;
}

function summarizeGroup(
  bin: number | null,
  range: BinRange | null,
  problemIds: string[],
  index: Index,
  options: Required<Pick<SummaryOptions, 'bootstrapResamples' | 'seed'>> & {
    settings: readonly SweepSetting<unknown>[];
    budgets: readonly number[];
    baseline: string | null;
    label: string;
  },
): BinSummary {
  const curves: Record<string, SettingPoint[]> = {};
  for (const setting of options.settings) {
    const points: SettingPoint[] = [];
    for (const budget of options.budgets) {
      const records = problemIds
        .map((p) => index.results.get(key(p, setting.id, budget)))
        .filter((r): r is ResultRecord => r !== undefined);
      const accuracy = bootstrapMean(
        records.map((r) => r.accuracy),
        {
          resamples: options.bootstrapResamples,
          seed: groupSeed(options.seed, options.label, setting.id, budget),
        },
      );
      if (accuracy === null) continue;
      points.push({
        budget,
        problems: records.length,
        accuracy,
        cost: costsByUnit(meanCosts(records.map((r) => r.costs))),
      });
    }
    curves[setting.id] = points;
  }

  const computeOptimal: ComputeOptimalPoint[] = [];
  for (const budget of options.budgets) {
    // Settings not swept at this budget in this group (none of its problems has a record) are left
    // out rather than emptying the comparison; the others must all be present for a problem.
    const candidates = options.settings.filter(
      (s) =>
        settingRunsAt(s, budget) && problemIds.some((p) => index.results.has(key(p, s.id, budget))),
    );
    if (candidates.length === 0) continue;
    const rows: ResultRecord[][] = [];
    for (const p of problemIds) {
      const row = candidates.map((s) => index.results.get(key(p, s.id, budget)));
      if (row.every((r) => r !== undefined)) rows.push(row as ResultRecord[]);
    }
    if (rows.length === 0) continue;
    const choice = twoFoldChoice(
      rows.map((row) => row.map((r) => r.accuracy)),
      groupSeed(options.seed, options.label, 'cv', budget),
    );
    computeOptimal.push({
      budget,
      problems: rows.length,
      accuracy: choice.accuracy,
      chosen: choice.chosen.map((s) => (candidates[s] as SweepSetting<unknown>).id),
      crossValidated: choice.crossValidated,
      cost: costsByUnit(
        meanCosts(
          rows.map((row, i) => (row[choice.evaluatedWith[i] as number] as ResultRecord).costs),
        ),
      ),
    });
  }

  let savings: Record<ComputeUnit, SavingsPoint[]> | null = null;
  const baselineCurve = options.baseline === null ? undefined : curves[options.baseline];
  if (baselineCurve !== undefined) {
    const perUnit = {} as Record<ComputeUnit, SavingsPoint[]>;
    for (const unit of COMPUTE_UNITS) {
      const savingsPoints = computeSavings(
        computeOptimal.map((p) => ({ cost: p.cost[unit], accuracy: p.accuracy })),
        baselineCurve.map((p) => ({ cost: p.cost[unit], accuracy: p.accuracy.mean })),
      );
      perUnit[unit] = savingsPoints;
    }
    savings = perUnit;
  }
  return { bin, problemIds, range, curves, computeOptimal, savings };
}

/**
 * Summarise sweep records (from `runSweep`, possibly loaded from disk) for plots and CSV.
 *
 * @param records every record of the sweep; later records replace earlier ones with the same key
 * @param options settings (and their tie-breaking order), budgets, baseline, bins, seed
 */
export function summarizeSweep(
  records: Iterable<SweepRecord>,
  options: SummaryOptions,
): SweepSummary {
  const index: Index = { pools: new Map(), results: new Map() };
  const problemOrder: string[] = [];
  const seen = new Set<string>();
  const budgetsSeen = new Set<number>();
  for (const r of records) {
    if (!seen.has(r.problemId)) {
      seen.add(r.problemId);
      problemOrder.push(r.problemId);
    }
    if (r.kind === 'pool') {
      const old = index.pools.get(r.problemId);
      if (!old || r.nMax >= old.nMax) index.pools.set(r.problemId, r);
    } else {
      index.results.set(key(r.problemId, r.settingId, r.budget), r);
      budgetsSeen.add(r.budget);
    }
  }
  const budgets = (options.budgets ?? [...budgetsSeen]).slice().sort((a, b) => a - b);
  const baseline =
    options.baselineSettingId ??
    options.settings.find((s) => s.kind === 'pool' && s.selection === 'weighted')?.id ??
    null;
  if (baseline !== null && !options.settings.some((s) => s.id === baseline)) {
    throw new Error(`summarizeSweep: the baseline ${baseline} is not one of the settings`);
  }
  const common = {
    settings: options.settings,
    budgets,
    baseline,
    bootstrapResamples: options.bootstrapResamples ?? 500,
    seed: options.seed ?? 0,
  };

  const problems: ProblemSummary[] = problemOrder.map((problemId) => {
    const pool = index.pools.get(problemId);
    return {
      problemId,
      passAt1: pool ? poolPassAt1(pool.samples) : null,
      meanScore: pool ? poolMeanScore(pool.samples) : null,
      oracleBin: null,
      predictedBin: null,
    };
  });

  const binning = (
    kind: 'oracle' | 'predicted',
    values: { problemId: string; value: number }[],
  ): { summary: BinningSummary; bins: DifficultyBins } => {
    const bins = difficultyBins(values, options.bins ?? 5);
    const groups = bins.ranges.map((range) =>
      summarizeGroup(
        range.bin,
        range,
        problemOrder.filter((p) => bins.binOf[p] === range.bin),
        index,
        { ...common, label: `${kind}-${range.bin}` },
      ),
    );
    return {
      summary: { kind, signal: kind === 'oracle' ? 'pass@1' : 'mean verifier score', bins: groups },
      bins,
    };
  };

  const oracle = binning(
    'oracle',
    problems.flatMap((p) =>
      p.passAt1 === null ? [] : [{ problemId: p.problemId, value: p.passAt1 }],
    ),
  );
  const scored = problems.flatMap((p) =>
    p.meanScore === null ? [] : [{ problemId: p.problemId, value: p.meanScore }],
  );
  const predicted = scored.length > 0 ? binning('predicted', scored) : null;
  for (const p of problems) {
    p.oracleBin = oracle.bins.binOf[p.problemId] ?? null;
    p.predictedBin = predicted?.bins.binOf[p.problemId] ?? null;
  }

  return {
    budgets,
    units: [...COMPUTE_UNITS],
    settings: options.settings.map((s) => ({ id: s.id, label: s.label, kind: s.kind })),
    baselineSettingId: baseline,
    problems,
    overall: summarizeGroup(null, null, problemOrder, index, { ...common, label: 'all' }),
    oracle: oracle.summary,
    predicted: predicted?.summary ?? null,
  };
}

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  // Ten significant digits: enough for any plot, and 0.30000000000000004 reads as 0.3.
  const text = typeof value === 'number' ? String(Number(value.toPrecision(10))) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The summary as CSV: one row per (binning, bin, series, budget), where a series is a setting or
 * 'compute-optimal' (with its savings over the baseline in each unit).
 */
export function sweepSummaryToCsv(summary: SweepSummary): string {
  const header = [
    'binning',
    'bin',
    'series',
    'budget',
    'problems',
    'accuracy',
    'accuracy_low',
    'accuracy_high',
    'cost_generations',
    'cost_tokens',
    'cost_flops',
    'chosen',
    'savings_generations',
    'savings_tokens',
    'savings_flops',
  ];
  const rows: (string | number | boolean | null)[][] = [];
  const groups: [string, BinSummary][] = [
    ['all', summary.overall],
    ...summary.oracle.bins.map((b): [string, BinSummary] => ['oracle', b]),
    ...(summary.predicted?.bins ?? []).map((b): [string, BinSummary] => ['predicted', b]),
  ];
  for (const [binning, group] of groups) {
    for (const setting of summary.settings) {
      for (const p of group.curves[setting.id] ?? []) {
        rows.push([
          binning,
          group.bin,
          setting.id,
          p.budget,
          p.problems,
          p.accuracy.mean,
          p.accuracy.low,
          p.accuracy.high,
          p.cost.generations,
          p.cost.tokens,
          p.cost.flops,
          null,
          null,
          null,
          null,
        ]);
      }
    }
    group.computeOptimal.forEach((p, i) => {
      const saving = (unit: ComputeUnit) => group.savings?.[unit][i]?.savings ?? null;
      rows.push([
        binning,
        group.bin,
        'compute-optimal',
        p.budget,
        p.problems,
        p.accuracy,
        null,
        null,
        p.cost.generations,
        p.cost.tokens,
        p.cost.flops,
        p.chosen.join(' / '),
        saving('generations'),
        saving('tokens'),
        saving('flops'),
      ]);
    });
  }
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
