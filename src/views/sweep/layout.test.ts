import { describe, expect, it } from 'vitest';
import { point, sweepFixture } from './fixture';
import {
  computeSavings,
  computeToReach,
  costIn,
  decadeTicks,
  layoutSweepPlot,
  log2Ticks,
  savingsPoints,
  savingsText,
} from './layout';

describe('compute to reach an accuracy', () => {
  const curve = [point(1, 0.2), point(4, 0.4), point(16, 0.6)];

  it('returns a measured point exactly and interpolates in log2 compute between points', () => {
    expect(computeToReach(curve, 0.4, 'generations')).toBe(4);
    expect(computeToReach(curve, 0.5, 'generations')).toBeCloseTo(8); // halfway between 2^2 and 2^4
    expect(computeToReach(curve, 0.1, 'generations')).toBe(1);
    expect(computeToReach(curve, 0.7, 'generations')).toBeNull();
  });

  it('measures in the chosen unit', () => {
    expect(computeToReach(curve, 0.4, 'tokens')).toBe(200);
    expect(computeToReach(curve, 0.4, 'flops')).toBe(200e9);
  });
});

describe('savings against best-of-N', () => {
  const summary = sweepFixture();
  const bin = summary.bins[0];
  if (!bin) throw new Error('fixture has no bins');
  const bon = bin.series[0]?.points ?? [];
  const optimal = bin.computeOptimal ?? [];

  it('reports the largest factor, at the higher accuracy on ties (80% at N=64 vs 16: 4x)', () => {
    const s = computeSavings(bon, optimal, 'generations');
    expect(s?.accuracy).toBe(0.8);
    expect(s?.bestOfNCompute).toBe(64);
    expect(s?.optimalCompute).toBe(16);
    expect(s?.factor).toBe(4);
    expect(s?.upperBound).toBe(false);
    expect(savingsText(s, true)[0]).toBe('4.0× less compute');
  });

  it('gives the same factor in tokens when tokens are proportional to generations', () => {
    expect(computeSavings(bon, optimal, 'tokens')?.factor).toBeCloseTo(4);
  });

  it('compares each compute-optimal point with the first budget where best-of-N gets there', () => {
    const plateau = [point(1, 0.5), point(2, 0.8), point(4, 0.8), point(8, 0.8)];
    const points = savingsPoints(plateau, [point(1, 0.8), point(2, 0.9)], 'generations');
    expect(points[0]).toMatchObject({ baselineCost: 2, savings: 2, atBaselineStart: false });
    expect(points[1]).toMatchObject({ baselineCost: null, savings: null });
    expect(computeSavings(plateau, [point(1, 0.8)], 'generations')?.factor).toBe(2);
  });

  it('flags factors that are only upper bounds (best-of-N already there at its first budget)', () => {
    const s = computeSavings([point(4, 0.6), point(8, 0.7)], [point(1, 0.5)], 'generations');
    expect(s).toMatchObject({ factor: 4, upperBound: true });
    expect(savingsText(s, true)[0]).toBe('Up to 4.0× less compute');
  });

  it('says so when best-of-N never reaches the compute-optimal accuracies', () => {
    expect(computeSavings(bon, [point(1, 0.9), point(64, 0.95)], 'generations')).toBeNull();
    expect(savingsText(null, true)[0]).toMatch(/does not/);
    expect(savingsText(null, false)).toEqual([]);
  });
});

describe('ticks', () => {
  it('puts generation ticks on powers of two, thinned to fit', () => {
    expect(log2Ticks(1, 64, 10)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(log2Ticks(1, 64, 4)).toEqual([1, 4, 16, 64]);
  });

  it('puts token and FLOP ticks on round numbers within the domain', () => {
    const t = decadeTicks(32, 4096, 8);
    expect(t).toEqual([50, 100, 200, 500, 1000, 2000]);
    const wide = decadeTicks(2 ** 20, 2 ** 50, 5);
    expect(wide.length).toBeLessThanOrEqual(5);
    expect(wide.every((v) => Math.log10(v) % 1 === 0)).toBe(true);
  });
});

describe('layoutSweepPlot', () => {
  const summary = sweepFixture();
  const layout = layoutSweepPlot(summary, 'generations', {
    width: 1000,
    panelHeight: 300,
    fontSize: 13,
  });

  it('makes one panel per bin with a shared power-of-two x domain', () => {
    expect(layout.panels).toHaveLength(2);
    expect(layout.xDomain).toEqual([1, 64]);
    expect(layout.xLabel).toMatch(/Generation/);
  });

  it('places markers left to right by budget on a log2 axis, accuracy upwards', () => {
    const panel = layout.panels[0];
    const bon = panel?.series[0];
    const xs = bon?.markers.map((m) => m.x) ?? [];
    // Doubling the budget moves one equal step right.
    const steps = xs.slice(1).map((x, i) => x - (xs[i] as number));
    for (const s of steps) expect(s).toBeCloseTo(steps[0] as number);
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]).toBeCloseTo(panel?.plot.width ?? NaN);
    const ys = bon?.markers.map((m) => m.y) ?? [];
    for (let i = 1; i < ys.length; i++) expect(ys[i] as number).toBeLessThan(ys[i - 1] as number);
    expect(bon?.line.startsWith('M')).toBe(true);
    expect(bon?.band.length).toBeGreaterThan(0);
  });

  it('styles a series the same in every panel and lists compute-optimal in the legend', () => {
    const a = layout.panels[0]?.series.find((s) => s.id === 'bon')?.style;
    const b = layout.panels[1]?.series.find((s) => s.id === 'bon')?.style;
    expect(a).toEqual(b);
    expect(layout.legend.map((l) => l.id)).toEqual(['bon', 'beam4', 'compute-optimal']);
    expect(layout.panels[0]?.readout[0]).toBe('4.0× less compute');
    expect(layout.panels[1]?.readout).toEqual([]);
  });

  it('switches the x domain with the unit', () => {
    const tokens = layoutSweepPlot(summary, 'tokens', {
      width: 1000,
      panelHeight: 300,
      fontSize: 13,
    });
    expect(tokens.xDomain[0]).toBeLessThanOrEqual(costIn(point(1, 0), 'tokens'));
    expect(tokens.xDomain[1]).toBeGreaterThanOrEqual(costIn(point(64, 0), 'tokens'));
    expect(tokens.xDomain).not.toEqual(layout.xDomain);
  });

  it('wraps legend and panels to the width, and grows with presentation type', () => {
    const narrow = layoutSweepPlot(summary, 'generations', {
      width: 400,
      panelHeight: 300,
      fontSize: 19,
    });
    expect(narrow.panels[1]?.y).toBeGreaterThan(narrow.panels[0]?.y ?? Infinity);
    expect(narrow.legend.some((l) => l.y > 0)).toBe(true);
    for (const l of narrow.legend) expect(l.x).toBeLessThan(400);
  });
});
