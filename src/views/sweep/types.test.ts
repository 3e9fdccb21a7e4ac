import { describe, expect, it } from 'vitest';
import { sweepFixture } from './fixture';
import { asSweepPlotSummary } from './types';

describe('asSweepPlotSummary', () => {
  it('accepts a well-formed summary as is', () => {
    const s = sweepFixture();
    expect(asSweepPlotSummary(s)).toBe(s);
  });

  it('rejects data of another shape', () => {
    expect(asSweepPlotSummary(null)).toBeNull();
    expect(asSweepPlotSummary({ bins: 'x' })).toBeNull();
    const broken = sweepFixture() as unknown as {
      bins: { series: { points: { accuracy: unknown }[] }[] }[];
    };
    const p = broken.bins[0]?.series[0]?.points[0];
    if (p) p.accuracy = 'high';
    expect(asSweepPlotSummary(broken)).toBeNull();
  });
});
