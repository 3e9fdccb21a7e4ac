import { describe, expect, it } from 'vitest';
import type { SweepRecord, SweepSetting } from '../../engine/sweep/runner';
import { summarizeSweep } from '../../engine/sweep/summary';
import type { Costs } from '../../engine/types';
import { fromEngineSummary, isEngineSweepSummary } from './fromEngine';
import { layoutSweepPlot } from './layout';
import { asSweepPlotSummary } from './types';

const budgets = [1, 2, 4, 8, 16, 32, 64];
const costs = (generations: number, tokens: number, flops: number): Costs => ({
  generations,
  generatedTokens: tokens,
  promptTokens: 0,
  verifierTokens: 0,
  flops,
});
const settings: SweepSetting[] = [
  { kind: 'pool', id: 'bon', label: 'Best-of-N weighted', selection: 'weighted' },
  { kind: 'search', id: 'beam', label: 'Beam search M=4', config: null },
];

/** 40 problems; beam reaches at budget b what best-of-N reaches at 4b, at twice the FLOPs. */
function records(): SweepRecord[] {
  const out: SweepRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const problemId = `p${i}`;
    const right = i % 9;
    out.push({
      kind: 'pool',
      problemId,
      nMax: 8,
      seed: 0,
      samples: Array.from({ length: 8 }, (_, k) => ({
        answer: k < right ? '1' : '0',
        score: k < right ? 0.8 : 0.2,
        correct: k < right,
        costs: costs(1, 10, 1000),
      })),
    });
    for (const b of budgets) {
      const base = { kind: 'result' as const, problemId, budget: b, source: 'pool' as const };
      out.push({
        ...base,
        settingId: 'bon',
        accuracy: 0.1 + 0.1 * Math.log2(b),
        costs: costs(b, 10 * b, 1000 * b),
      });
      out.push({
        ...base,
        settingId: 'beam',
        accuracy: 0.3 + 0.1 * Math.log2(b),
        costs: costs(b, 10 * b, 2000 * b),
      });
    }
  }
  return out;
}

describe('fromEngineSummary', () => {
  const summary = summarizeSweep(records(), { settings, bins: 5, bootstrapResamples: 50, seed: 1 });

  it('recognises the engine summary, which is not already in the plot shape', () => {
    expect(isEngineSweepSummary(summary)).toBe(true);
    expect(asSweepPlotSummary(summary)).toBeNull();
    expect(isEngineSweepSummary({ bins: [] })).toBe(false);
  });

  it('makes one panel per bin plus all problems, one series per setting, baseline flagged', () => {
    const plot = fromEngineSummary(summary, 'oracle');
    expect(plot.bins[0]?.label).toBe('All problems');
    expect(plot.bins.length).toBe(summary.oracle.bins.length + 1);
    expect(plot.bins[1]?.label).toMatch(/^Bin 1 \(easiest\)/);
    const all = plot.bins[0];
    expect(all?.series.map((s) => s.id)).toEqual(['bon', 'beam']);
    expect(all?.series.find((s) => s.baseline)?.id).toBe('bon');
    const p = all?.series[0]?.points[2];
    const src = summary.overall.curves['bon']?.[2];
    expect(p).toMatchObject({
      budget: src?.budget,
      accuracy: src?.accuracy.mean,
      lo: src?.accuracy.low,
      hi: src?.accuracy.high,
    });
    expect(asSweepPlotSummary(plot)).toBe(plot);
    expect(fromEngineSummary(summary, 'oracle', false).bins[0]?.label).not.toBe('All problems');
  });

  it("reads out the engine's savings: 4x in generations, 2x in FLOPs", () => {
    const plot = fromEngineSummary(summary, 'oracle');
    const gen = layoutSweepPlot(plot, 'generations', {
      width: 1200,
      panelHeight: 300,
      fontSize: 13,
    });
    expect(gen.panels[0]?.savings?.factor).toBeCloseTo(4);
    const flops = layoutSweepPlot(plot, 'flops', { width: 1200, panelHeight: 300, fontSize: 13 });
    expect(flops.panels[0]?.savings?.factor).toBeCloseTo(2);
    expect(flops.panels[0]?.readout[0]).toBe('2.0× less compute');
  });

  it('falls back to oracle bins when asked for predicted bins the sweep does not have', () => {
    const noScores = { ...summary, predicted: null };
    expect(fromEngineSummary(noScores, 'predicted').binKind).toBe('oracle');
    expect(fromEngineSummary(summary, 'predicted').binKind).toBe(
      summary.predicted ? 'predicted' : 'oracle',
    );
  });
});
