/**
 * From the sweep's records to what the plot draws: the engine's summary (src/engine/sweep),
 * adapted to the plot's shape (src/views/sweep/types.ts), one panel per difficulty bin.
 */
import { summarizeSweep, type BinSummary, type SweepSummary } from '../engine/sweep/summary';
import type { SweepSetting } from '../engine/sweep/runner';
import type { StrategyKind } from '../engine/types';
import type { SweepBin, SweepPlotSummary, SweepPoint } from '../views/sweep/types';
import type { SweepRecord, SweepRequest } from '../store/sweepTypes';
import { sweepBudgets, sweepProblems, sweepSettings, type SearchPlan } from './sweepPlan';
import { taskEntry } from './tasks';

import type { Binning } from '../store/slices/sweepSlice';

function strategyOf(setting: SweepSetting<SearchPlan>): StrategyKind {
  return setting.kind === 'pool' ? 'best-of-n' : setting.config.strategy;
}

function panel(
  bin: BinSummary,
  label: string,
  settings: readonly SweepSetting<SearchPlan>[],
  labels: Map<string, string>,
): SweepBin {
  const series = settings
    .map((s) => ({
      id: s.id,
      label: s.label,
      strategy: strategyOf(s),
      points: (bin.curves[s.id] ?? []).map((p): SweepPoint => ({
        budget: p.budget,
        cost: { generations: p.cost.generations, tokens: p.cost.tokens, flops: p.cost.flops },
        accuracy: p.accuracy.mean,
        lo: p.accuracy.low,
        hi: p.accuracy.high,
      })),
    }))
    .filter((s) => s.points.length > 0);
  const computeOptimal = bin.computeOptimal.map((p): SweepPoint => ({
    budget: p.budget,
    cost: { generations: p.cost.generations, tokens: p.cost.tokens, flops: p.cost.flops },
    accuracy: p.accuracy,
    // A cross-validated choice has no bootstrap interval of its own.
    lo: p.accuracy,
    hi: p.accuracy,
    setting: [...new Set(p.chosen.map((id) => labels.get(id) ?? id))].join(' / '),
  }));
  return {
    id: bin.bin === null ? 'all' : `bin-${bin.bin}`,
    label,
    series,
    ...(computeOptimal.length > 0 ? { computeOptimal } : {}),
    problems: bin.problemIds.length,
  };
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/**
 * The plot's view of an engine summary.
 * @param summary from summarizeSweep
 * @param settings the sweep's settings (labels, strategies, legend order)
 * @param binning which panels to draw; falls back to all problems when that binning is empty
 */
export function plotSummaryOf(
  summary: SweepSummary,
  settings: readonly SweepSetting<SearchPlan>[],
  binning: Binning,
): SweepPlotSummary {
  const labels = new Map(settings.map((s) => [s.id, s.label]));
  const grouping =
    binning === 'oracle' ? summary.oracle : binning === 'predicted' ? summary.predicted : null;
  if (!grouping || grouping.bins.length === 0) {
    return {
      bins: [panel(summary.overall, 'All problems', settings, labels)],
      binKind: 'level',
      title: 'Accuracy against test-time compute',
    };
  }
  return {
    bins: grouping.bins.map((b) =>
      panel(
        b,
        b.range
          ? `Bin ${b.bin} · ${grouping.signal} ${
              fmt(b.range.min) === fmt(b.range.max)
                ? fmt(b.range.min)
                : `${fmt(b.range.min)}–${fmt(b.range.max)}`
            }`
          : `Bin ${b.bin}`,
        settings,
        labels,
      ),
    ),
    binKind: grouping.kind,
    title: `Accuracy against test-time compute, by ${grouping.kind === 'oracle' ? 'oracle' : 'predicted'} difficulty`,
  };
}

/**
 * The records in the order of the sweep's problems. The summary takes problems in the order it
 * first meets them (its cross-validation folds follow that order), and a sweep split over
 * several workers delivers them in whatever order the workers finish. Records of a problem not
 * in the plan, or of a task whose problems are not loaded in the page, keep their order.
 */
function inPlanOrder(request: SweepRequest, records: readonly SweepRecord[]): SweepRecord[] {
  let entry;
  try {
    entry = taskEntry(request.taskId);
  } catch {
    return [...records];
  }
  if (!entry.isReady()) return [...records];
  const rank = new Map(sweepProblems(request).map((p, i) => [p.id, i]));
  const at = (r: SweepRecord) => rank.get(r.problemId) ?? rank.size;
  return [...records].sort((a, b) => at(a) - at(b));
}

/**
 * The plot's summary of the records so far, or null when nothing can be plotted yet.
 * @param request the sweep's settings (problem set, strategies, N_max)
 * @param records the completed records
 * @param binning which panels to draw
 */
export function summarizeForPlot(
  request: SweepRequest,
  records: readonly SweepRecord[],
  binning: Binning = 'oracle',
): SweepPlotSummary | null {
  if (!records.some((r) => r.kind === 'result')) return null;
  const settings = sweepSettings(request);
  const summary = summarizeSweep(inPlanOrder(request, records), {
    settings,
    budgets: sweepBudgets(request.nMax),
    seed: request.seed,
  });
  return plotSummaryOf(summary, settings, binning);
}
