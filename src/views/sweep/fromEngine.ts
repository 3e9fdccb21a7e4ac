/**
 * Adapter from the engine's sweep summary (src/engine/sweep, `summarizeSweep`) to the shape the
 * plot draws: one panel per difficulty bin (oracle or predicted binning), optionally preceded by
 * a panel for all problems; one series per setting; the cross-validated compute-optimal curve
 * and the engine's own savings over best-of-N.
 */
import type { BinSummary, SweepSummary } from '../../engine/sweep/summary';
import type { SweepBin, SweepPlotSummary, SweepSeries } from './types';

export type Binning = 'oracle' | 'predicted';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Whether `value` looks like the engine's SweepSummary (the fields the adapter reads). */
export function isEngineSweepSummary(value: unknown): value is SweepSummary {
  if (!isObj(value) || !Array.isArray(value.settings) || !isObj(value.oracle)) return false;
  if (!Array.isArray(value.oracle.bins) || !isObj(value.overall)) return false;
  return (value.oracle.bins as unknown[]).every(
    (b) =>
      isObj(b) && isObj(b.curves) && Array.isArray(b.computeOptimal) && Array.isArray(b.problemIds),
  );
}

function binLabel(bin: BinSummary, count: number): string {
  if (bin.bin === null) return 'All problems';
  const hint = bin.bin === 1 ? ' (easiest)' : bin.bin === count && count > 1 ? ' (hardest)' : '';
  return `Bin ${bin.bin}${hint}`;
}

function convertBin(summary: SweepSummary, bin: BinSummary, count: number, id: string): SweepBin {
  const series: SweepSeries[] = summary.settings
    .filter((s) => (bin.curves[s.id]?.length ?? 0) > 0)
    .map((s) => ({
      id: s.id,
      label: s.label,
      strategy: s.kind === 'pool' ? 'best-of-n' : 'search',
      baseline: s.id === summary.baselineSettingId,
      points: (bin.curves[s.id] ?? []).map((p) => ({
        budget: p.budget,
        cost: { ...p.cost },
        accuracy: p.accuracy.mean,
        lo: p.accuracy.low,
        hi: p.accuracy.high,
      })),
    }));
  const labelOf = new Map(summary.settings.map((s) => [s.id, s.label]));
  return {
    id,
    label: binLabel(bin, count),
    problems: bin.problemIds.length,
    series,
    // The compute-optimal accuracy is a held-out estimate without a bootstrap interval.
    computeOptimal: bin.computeOptimal.map((p) => ({
      budget: p.budget,
      cost: { ...p.cost },
      accuracy: p.accuracy,
      lo: p.accuracy,
      hi: p.accuracy,
      setting: [...new Set(p.chosen.map((c) => labelOf.get(c) ?? c))].join(' / '),
    })),
    savings: bin.savings,
  };
}

/**
 * The plot's summary for an engine summary.
 * @param summary result of summarizeSweep
 * @param binning which difficulty bins to draw; 'predicted' falls back to 'oracle' when the
 *   sweep has no verifier scores
 * @param includeOverall add a first panel with all problems
 */
export function fromEngineSummary(
  summary: SweepSummary,
  binning: Binning = 'oracle',
  includeOverall = true,
): SweepPlotSummary {
  const group = binning === 'predicted' && summary.predicted ? summary.predicted : summary.oracle;
  const bins = group.bins.map((b, i) =>
    convertBin(summary, b, group.bins.length, `${group.kind}-${b.bin ?? i}`),
  );
  if (includeOverall) bins.unshift(convertBin(summary, summary.overall, 1, 'all'));
  return {
    bins,
    binKind: group.kind,
    title: `Accuracy against test-time compute, by ${group.kind === 'oracle' ? 'oracle' : 'predicted'} difficulty (${group.signal})`,
  };
}
