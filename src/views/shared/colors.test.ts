import { describe, expect, it } from 'vitest';
import {
  CIVIDIS_TABLE,
  cividisRgb,
  relativeLuminance,
  scoreColor,
  seriesStyle,
  SERIES_COLORS,
} from './colors';

describe('cividis score scale', () => {
  it('starts dark blue and ends yellow (the table endpoints)', () => {
    expect(cividisRgb(0)).toEqual([...(CIVIDIS_TABLE[0] as readonly number[])]);
    expect(cividisRgb(1)).toEqual([
      ...(CIVIDIS_TABLE[CIVIDIS_TABLE.length - 1] as readonly number[]),
    ]);
    const [r0, , b0] = cividisRgb(0);
    const [r1, , b1] = cividisRgb(1);
    expect(b0).toBeGreaterThan(r0); // blue end
    expect(r1).toBeGreaterThan(b1); // yellow end
  });

  it('clamps out-of-range and non-finite scores', () => {
    expect(cividisRgb(-3)).toEqual(cividisRgb(0));
    expect(cividisRgb(7)).toEqual(cividisRgb(1));
    expect(cividisRgb(Number.NaN)).toEqual(cividisRgb(0));
  });

  it('interpolates between table entries', () => {
    const a = CIVIDIS_TABLE[5] as readonly number[];
    const b = CIVIDIS_TABLE[6] as readonly number[];
    const mid = cividisRgb(0.55);
    mid.forEach((v, i) => expect(v).toBeCloseTo(((a[i] as number) + (b[i] as number)) / 2, -0.5));
  });

  it('has strictly increasing luminance, so scores read in greyscale', () => {
    let prev = -1;
    for (let i = 0; i <= 200; i++) {
      const l = relativeLuminance(cividisRgb(i / 200));
      expect(l).toBeGreaterThanOrEqual(prev);
      prev = l;
    }
    // And the ends are far apart (a contrast ratio above 10:1).
    const lo = relativeLuminance(cividisRgb(0));
    const hi = relativeLuminance(cividisRgb(1));
    expect((hi + 0.05) / (lo + 0.05)).toBeGreaterThan(10);
  });

  it('formats as a CSS rgb() colour', () => {
    expect(scoreColor(0)).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
    expect(scoreColor(0.2)).not.toBe(scoreColor(0.8));
  });
});

describe('series styles', () => {
  it('never gives two of the first 18 series the same colour, dash and marker', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 18; i++) {
      const s = seriesStyle(i);
      keys.add(`${s.color}|${s.dash}|${s.marker}`);
    }
    expect(keys.size).toBe(18);
  });

  it('gives the first series distinct colours and distinct dashes', () => {
    const n = SERIES_COLORS.length;
    const styles = Array.from({ length: n }, (_, i) => seriesStyle(i));
    expect(new Set(styles.map((s) => s.color)).size).toBe(n);
    expect(new Set(styles.map((s) => s.dash)).size).toBe(n);
  });
});
