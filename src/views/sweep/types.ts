/**
 * The sweep summary as the plot reads it. src/engine/sweep does not export its summary type yet;
 * this is the minimal shape the plot needs, and `asSweepPlotSummary` checks data against it at
 * run time (the page passes the summary as `unknown`, see src/app/viewProps.ts). When the engine's
 * type lands, an adapter from it to this shape goes here.
 */
import type { StrategyKind } from '../../engine/types';
import type { ComputeUnit } from '../../app/viewProps';
import type { SavingsPoint } from '../../engine/sweep/computeOptimal';

export type { ComputeUnit };

/** Mean compute per problem, in each unit the axis can show. */
export interface SweepCost {
  generations: number;
  tokens: number;
  flops: number;
}

/** Accuracy at one budget, with its 95% interval. */
export interface SweepPoint {
  /** Budget N in the paper's unit (generations). */
  budget: number;
  /** Mean compute spent per problem at this budget. */
  cost: SweepCost;
  /** Share of problems solved, in [0, 1]. */
  accuracy: number;
  /** 95% interval of the accuracy (bootstrap or Wilson), in [0, 1]. */
  lo: number;
  hi: number;
  /** Compute-optimal points only: the setting chosen at this budget ("beam M=4"). */
  setting?: string;
}

/** One strategy setting's curve. */
export interface SweepSeries {
  /** Stable id, used to keep colours and dashes the same across panels. */
  id: string;
  /** Legend text ("Best-of-N weighted", "Beam search M=4"). */
  label: string;
  /** The strategy, or 'search' when only known to be a search setting. */
  strategy: StrategyKind | 'search';
  /** The best-of-N curve savings are measured against. */
  baseline?: boolean;
  points: SweepPoint[];
}

/** One difficulty bin (one panel). */
export interface SweepBin {
  id: string;
  /** Panel title ("Level 1 (easiest)", "Bin 3"). */
  label: string;
  series: SweepSeries[];
  /** The compute-optimal curve: the best setting per budget, picked by cross-validation. */
  computeOptimal?: SweepPoint[];
  /** Problems in the bin. */
  problems?: number;
  /** Savings of each compute-optimal point over best-of-N, per unit (from the engine). */
  savings?: Partial<Record<ComputeUnit, SavingsPoint[]>> | null;
}

export interface SweepPlotSummary {
  bins: SweepBin[];
  /** How problems were binned: by oracle pass@1, by mean verifier score, or by task level. */
  binKind?: 'oracle' | 'predicted' | 'level';
  /** Figure title. */
  title?: string;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isPoint(v: unknown): v is SweepPoint {
  if (!isObj(v) || !isObj(v.cost)) return false;
  return (
    isNum(v.budget) &&
    isNum(v.accuracy) &&
    isNum(v.lo) &&
    isNum(v.hi) &&
    isNum(v.cost.generations) &&
    isNum(v.cost.tokens) &&
    isNum(v.cost.flops)
  );
}

/**
 * `value` as a sweep summary the plot can draw, or null when it does not have that shape.
 * @param value the summary the page passes (typed `unknown` in viewProps)
 */
export function asSweepPlotSummary(value: unknown): SweepPlotSummary | null {
  if (!isObj(value) || !Array.isArray(value.bins)) return null;
  for (const bin of value.bins as unknown[]) {
    if (!isObj(bin) || typeof bin.id !== 'string' || typeof bin.label !== 'string') return null;
    if (!Array.isArray(bin.series)) return null;
    for (const s of bin.series as unknown[]) {
      if (!isObj(s) || typeof s.id !== 'string' || typeof s.label !== 'string') return null;
      if (!Array.isArray(s.points) || !(s.points as unknown[]).every(isPoint)) return null;
    }
    if (bin.computeOptimal !== undefined) {
      if (!Array.isArray(bin.computeOptimal) || !(bin.computeOptimal as unknown[]).every(isPoint))
        return null;
    }
  }
  return value as unknown as SweepPlotSummary;
}
