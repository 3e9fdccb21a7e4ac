/**
 * Layout of the accuracy-against-compute figure: panel grid, log2 x scale, ticks, line and band
 * paths, legend rows and the "x times less compute than best-of-N" readout. Pure (d3-scale and
 * d3-shape compute, nothing touches the DOM), so the maths is tested without rendering.
 */
import { scaleLinear, scaleLog, type ScaleLinear, type ScaleLogarithmic } from 'd3-scale';
import { area, line } from 'd3-shape';
import type { SavingsPoint } from '../../engine/sweep/computeOptimal';
import { COMPUTE_OPTIMAL_STYLE, seriesStyle, type SeriesStyle } from '../shared/colors';
import { formatCompact, formatFactor, formatPercent } from '../shared/format';
import type { ComputeUnit, SweepBin, SweepPlotSummary, SweepPoint } from './types';

/** Axis title for each unit. */
export const UNIT_LABELS: Record<ComputeUnit, string> = {
  generations: 'Generation budget N (log₂)',
  tokens: 'Tokens per problem (log₂)',
  flops: 'FLOPs per problem (log₂)',
};

/**
 * A point's compute in the chosen unit.
 * @param point sweep point
 * @param unit axis unit
 */
export function costIn(point: SweepPoint, unit: ComputeUnit): number {
  return unit === 'generations' ? point.budget : point.cost[unit];
}

/** The best-of-N baseline of a bin: the flagged one, else the weighted best-of-N, or undefined. */
export function bestOfNSeries(bin: SweepBin) {
  const flagged = bin.series.find((s) => s.baseline === true);
  if (flagged) return flagged;
  const all = bin.series.filter((s) => s.strategy === 'best-of-n');
  return all.find((s) => /weighted/i.test(s.label) || /weighted/i.test(s.id)) ?? all[0];
}

/**
 * Compute at which a curve first reaches `target` accuracy, interpolated in log2 compute
 * between the two points around the crossing; null if it never does.
 * @param points the curve, any order
 * @param target accuracy to reach, in [0,1]
 * @param unit compute unit
 */
export function computeToReach(
  points: readonly SweepPoint[],
  target: number,
  unit: ComputeUnit,
): number | null {
  const sorted = points
    .filter((p) => costIn(p, unit) > 0)
    .slice()
    .sort((a, b) => costIn(a, unit) - costIn(b, unit));
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as SweepPoint;
    if (p.accuracy < target) continue;
    const q = sorted[i - 1];
    // A measured point that reaches the target exactly is returned as measured, not re-derived.
    if (q === undefined || p.accuracy === target || p.accuracy === q.accuracy)
      return costIn(p, unit);
    const f = (target - q.accuracy) / (p.accuracy - q.accuracy);
    const lq = Math.log2(costIn(q, unit));
    const lp = Math.log2(costIn(p, unit));
    return 2 ** (lq + f * (lp - lq));
  }
  return null;
}

export type { SavingsPoint };

export interface Savings {
  /** Best-of-N compute / compute-optimal compute at the same accuracy. */
  factor: number;
  /** The accuracy compared at. */
  accuracy: number;
  bestOfNCompute: number;
  optimalCompute: number;
  /** Best-of-N was already there at its smallest budget: the factor is an upper bound. */
  upperBound: boolean;
}

/**
 * For each compute-optimal point, the compute best-of-N needs to reach the same accuracy and
 * the ratio (the engine's SavingsPoint). Mirrors computeSavings in src/engine/sweep; used when a
 * summary carries no savings of its own.
 * @param bestOfN best-of-N curve
 * @param optimal compute-optimal curve
 * @param unit compute unit
 */
export function savingsPoints(
  bestOfN: readonly SweepPoint[],
  optimal: readonly SweepPoint[],
  unit: ComputeUnit,
): SavingsPoint[] {
  const base = bestOfN.filter((p) => costIn(p, unit) > 0);
  const first = [...base].sort((a, b) => costIn(a, unit) - costIn(b, unit))[0];
  return optimal
    .filter((p) => costIn(p, unit) > 0)
    .map((p) => {
      const cost = costIn(p, unit);
      const baselineCost = computeToReach(base, p.accuracy, unit);
      return {
        cost,
        accuracy: p.accuracy,
        baselineCost,
        savings: baselineCost === null ? null : baselineCost / cost,
        atBaselineStart: first !== undefined && first.accuracy >= p.accuracy,
      };
    });
}

/**
 * The headline of a savings curve: the largest factor ("up to x times less compute", as the
 * paper reports it), preferring points that are not upper bounds, and the higher accuracy on ties.
 * @param points savings per compute-optimal point
 * @returns null when no point has a best-of-N comparison
 */
export function headlineSavings(points: readonly SavingsPoint[]): Savings | null {
  const usable = points.filter(
    (p): p is SavingsPoint & { savings: number; baselineCost: number } =>
      p.savings !== null && p.baselineCost !== null && Number.isFinite(p.savings),
  );
  const exact = usable.filter((p) => !p.atBaselineStart);
  const pool = exact.length > 0 ? exact : usable;
  let best: (typeof pool)[number] | undefined;
  for (const p of pool) {
    if (
      !best ||
      p.savings > best.savings + 1e-9 ||
      (Math.abs(p.savings - best.savings) <= 1e-9 && p.accuracy > best.accuracy)
    ) {
      best = p;
    }
  }
  if (!best) return null;
  return {
    factor: best.savings,
    accuracy: best.accuracy,
    bestOfNCompute: best.baselineCost,
    optimalCompute: best.cost,
    upperBound: best.atBaselineStart,
  };
}

/**
 * How many times less compute the compute-optimal curve needs than best-of-N for the same
 * accuracy, at its best point.
 * @param bestOfN best-of-N curve
 * @param optimal compute-optimal curve
 * @param unit compute unit the factor is measured in
 */
export function computeSavings(
  bestOfN: readonly SweepPoint[],
  optimal: readonly SweepPoint[],
  unit: ComputeUnit,
): Savings | null {
  return headlineSavings(savingsPoints(bestOfN, optimal, unit));
}

/**
 * Readout lines for a panel (two short lines, so they fit a narrow panel).
 * @param savings result of computeSavings, or null
 * @param hasOptimal whether the bin has a compute-optimal curve at all
 */
export function savingsText(savings: Savings | null, hasOptimal: boolean): string[] {
  if (!hasOptimal) return [];
  if (savings === null) return ['Compute-optimal does not', "reach best-of-N's accuracy"];
  const at = `at ${formatPercent(savings.accuracy)} accuracy`;
  // Within 5% either way the curves are equal at this resolution.
  if (savings.factor >= 0.95 && savings.factor <= 1.05)
    return ['About the same compute', `as best-of-N, ${at}`];
  if (savings.factor < 1)
    return [`${formatFactor(1 / savings.factor)} more compute`, `than best-of-N, ${at}`];
  const upTo = savings.upperBound ? 'Up to ' : '';
  return [`${upTo}${formatFactor(savings.factor)} less compute`, `than best-of-N, ${at}`];
}

export interface PlotOptions {
  width: number;
  /** Height of one panel's plotting area plus axes. */
  panelHeight: number;
  /** Base font size in px (13 normal, larger in presentation mode). */
  fontSize: number;
}

export interface Tick {
  value: number;
  /** Position along the axis, px within the panel's plot area. */
  pos: number;
  label: string;
}

export interface SeriesPaths {
  id: string;
  label: string;
  style: SeriesStyle;
  line: string;
  band: string;
  markers: { x: number; y: number; point: SweepPoint }[];
}

export interface PanelLayout {
  bin: SweepBin;
  /** Top-left corner of the panel in the figure. */
  x: number;
  y: number;
  /** Plot area (inside the axes), relative to the panel's corner. */
  plot: { x: number; y: number; width: number; height: number };
  xTicks: Tick[];
  yTicks: Tick[];
  series: SeriesPaths[];
  optimal: SeriesPaths | null;
  savings: Savings | null;
  /** "x times less compute than best-of-N" lines; empty without a compute-optimal curve. */
  readout: string[];
}

export interface LegendItem {
  id: string;
  label: string;
  style: SeriesStyle;
  x: number;
  y: number;
  /** Compute-optimal: drawn thicker. */
  optimal: boolean;
}

export interface PlotLayout {
  width: number;
  height: number;
  fontSize: number;
  legend: LegendItem[];
  legendHeight: number;
  panels: PanelLayout[];
  xLabel: string;
  /** Shared x domain across panels (powers of two), so panels compare at a glance. */
  xDomain: [number, number];
}

/**
 * Powers of two in [lo, hi] as ticks, thinned to at most `maxTicks` by taking every k-th.
 * @param lo domain start (a power of two)
 * @param hi domain end (a power of two)
 * @param maxTicks most ticks to return
 */
export function log2Ticks(lo: number, hi: number, maxTicks: number): number[] {
  const a = Math.round(Math.log2(lo));
  const b = Math.round(Math.log2(hi));
  const count = b - a + 1;
  const step = Math.max(1, Math.ceil(count / Math.max(1, maxTicks)));
  const out: number[] = [];
  for (let e = a; e <= b; e += step) out.push(2 ** e);
  return out;
}

/**
 * Round-number ticks for token and FLOP axes: powers of ten, with 2x and 5x in between when the
 * axis has room, so a log2 axis of FLOPs reads "1G 10G", not "1.07G 4.29G".
 * @param lo domain start (> 0)
 * @param hi domain end
 * @param maxTicks most ticks to return
 */
export function decadeTicks(lo: number, hi: number, maxTicks: number): number[] {
  const within = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  for (const mantissas of [[1, 2, 5], [1, 3], [1]]) {
    const out: number[] = [];
    for (let e = e0; e <= e1; e++)
      for (const m of mantissas) if (within(m * 10 ** e)) out.push(m * 10 ** e);
    if (out.length <= maxTicks && out.length >= 2) return out;
  }
  // Very wide axes: every k-th power of ten.
  const decades: number[] = [];
  for (let e = e0; e <= e1; e++) if (within(10 ** e)) decades.push(10 ** e);
  const step = Math.max(1, Math.ceil(decades.length / Math.max(1, maxTicks)));
  const thinned = decades.filter((_, i) => i % step === 0);
  return thinned.length > 0 ? thinned : [lo, hi];
}

/** Approximate text width for layout (no DOM to measure): a proportional sans at ~0.58em. */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

/** Stable series ids in legend order (first appearance across bins), for consistent styling. */
export function seriesOrder(summary: SweepPlotSummary): { id: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const bin of summary.bins)
    for (const s of bin.series) if (!seen.has(s.id)) seen.set(s.id, s.label);
  return [...seen.entries()].map(([id, label]) => ({ id, label }));
}

/**
 * Lay out the whole figure.
 * @param summary sweep summary (bins, series, compute-optimal curves)
 * @param unit x axis unit
 * @param options figure width, panel height and font size
 */
export function layoutSweepPlot(
  summary: SweepPlotSummary,
  unit: ComputeUnit,
  options: PlotOptions,
): PlotLayout {
  const { width, panelHeight, fontSize } = options;
  const order = seriesOrder(summary);
  const styles = new Map(order.map((s, i) => [s.id, seriesStyle(i)]));
  const hasOptimal = summary.bins.some((b) => (b.computeOptimal?.length ?? 0) > 0);

  // Legend: items flow left to right, wrapping to new rows.
  const swatch = fontSize * 2.6;
  const gap = fontSize * 1.4;
  const rowH = fontSize * 1.7;
  const legend: LegendItem[] = [];
  // A little room on the left so the first swatch does not touch the figure's edge.
  const legendLeft = fontSize * 0.5;
  let lx = legendLeft;
  let ly = 0;
  const items = [
    ...order.map((s) => ({ ...s, style: styles.get(s.id) as SeriesStyle, optimal: false })),
    ...(hasOptimal
      ? [
          {
            id: 'compute-optimal',
            label: 'Compute-optimal',
            style: COMPUTE_OPTIMAL_STYLE,
            optimal: true,
          },
        ]
      : []),
  ];
  for (const item of items) {
    const w = swatch + fontSize * 0.5 + textWidth(item.label, fontSize);
    if (lx > legendLeft && lx + w > width) {
      lx = legendLeft;
      ly += rowH;
    }
    legend.push({ ...item, x: lx, y: ly });
    lx += w + gap;
  }
  const legendHeight = items.length > 0 ? ly + rowH + fontSize * 0.6 : 0;

  // Shared x domain, widened to whole powers of two.
  const costs = summary.bins.flatMap((b) =>
    [...b.series.flatMap((s) => s.points), ...(b.computeOptimal ?? [])]
      .map((p) => costIn(p, unit))
      .filter((c) => c > 0),
  );
  const lo = costs.length ? 2 ** Math.floor(Math.log2(Math.min(...costs))) : 1;
  let hi = costs.length ? 2 ** Math.ceil(Math.log2(Math.max(...costs))) : 2;
  if (hi <= lo) hi = lo * 2;

  const minPanelWidth = fontSize * 21;
  const n = Math.max(1, summary.bins.length);
  const maxCols = Math.max(1, Math.min(n, Math.floor(width / minPanelWidth)));
  const rows = Math.ceil(n / maxCols);
  // Balance the rows (5 bins on 4 columns: 3 + 2, not 4 + 1).
  const cols = Math.ceil(n / rows);
  const panelWidth = width / cols;
  const margin = {
    left: fontSize * 4.4,
    right: fontSize * 1.2,
    top: fontSize * 2.2,
    bottom: fontSize * (hasOptimal ? 6 : 3.6),
  };
  const plotW = Math.max(40, panelWidth - margin.left - margin.right);
  const plotH = Math.max(40, panelHeight - margin.top - margin.bottom);
  const x: ScaleLogarithmic<number, number> = scaleLog().base(2).domain([lo, hi]).range([0, plotW]);
  const y: ScaleLinear<number, number> = scaleLinear().domain([0, 1]).range([plotH, 0]);
  const maxXTicks = Math.max(2, Math.floor(plotW / (fontSize * 3.2)));
  const tickValues =
    unit === 'generations' ? log2Ticks(lo, hi, maxXTicks) : decadeTicks(lo, hi, maxXTicks);
  const xTicks: Tick[] = tickValues.map((v) => ({
    value: v,
    pos: x(v),
    label: formatCompact(v),
  }));
  const yTicks: Tick[] = [0, 0.25, 0.5, 0.75, 1].map((v) => ({
    value: v,
    pos: y(v),
    label: formatPercent(v),
  }));

  const lineGen = line<SweepPoint>()
    .x((p) => x(costIn(p, unit)))
    .y((p) => y(p.accuracy));
  const bandGen = area<SweepPoint>()
    .x((p) => x(costIn(p, unit)))
    .y0((p) => y(Math.max(0, p.lo)))
    .y1((p) => y(Math.min(1, p.hi)));
  const paths = (
    id: string,
    label: string,
    style: SeriesStyle,
    pts: readonly SweepPoint[],
  ): SeriesPaths => {
    const sorted = pts
      .filter((p) => costIn(p, unit) > 0)
      .sort((a, b) => costIn(a, unit) - costIn(b, unit));
    return {
      id,
      label,
      style,
      line: lineGen(sorted) ?? '',
      band: bandGen(sorted) ?? '',
      markers: sorted.map((p) => ({ x: x(costIn(p, unit)), y: y(p.accuracy), point: p })),
    };
  };

  const panels: PanelLayout[] = summary.bins.map((bin, i) => {
    const optimalPoints = bin.computeOptimal ?? [];
    const base = bestOfNSeries(bin);
    const given = bin.savings?.[unit];
    const savings = given
      ? headlineSavings(given)
      : base
        ? computeSavings(base.points, optimalPoints, unit)
        : null;
    return {
      bin,
      x: (i % cols) * panelWidth,
      y: legendHeight + Math.floor(i / cols) * panelHeight,
      plot: { x: margin.left, y: margin.top, width: plotW, height: plotH },
      xTicks,
      yTicks,
      series: bin.series.map((s) =>
        paths(s.id, s.label, styles.get(s.id) ?? seriesStyle(0), s.points),
      ),
      optimal:
        optimalPoints.length > 0
          ? paths('compute-optimal', 'Compute-optimal', COMPUTE_OPTIMAL_STYLE, optimalPoints)
          : null,
      savings,
      readout: base || given ? savingsText(savings, optimalPoints.length > 0) : [],
    };
  });

  return {
    width,
    height: legendHeight + rows * panelHeight,
    fontSize,
    legend,
    legendHeight,
    panels,
    xLabel: UNIT_LABELS[unit],
    xDomain: [lo, hi],
  };
}
