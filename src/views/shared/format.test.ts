import { describe, expect, it } from 'vitest';
import {
  formatCompact,
  formatFactor,
  formatPercent,
  formatScore,
  textLines,
  truncate,
} from './format';

describe('format', () => {
  it('formats counts compactly with SI prefixes', () => {
    expect(formatCompact(0)).toBe('0');
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1000)).toBe('1k');
    expect(formatCompact(1234)).toBe('1.2k');
    expect(formatCompact(65536)).toBe('66k');
    expect(formatCompact(3.4e12)).toBe('3.4T');
    expect(formatCompact(2.5)).toBe('2.5');
  });

  it('formats scores, percentages and factors', () => {
    expect(formatScore(undefined)).toBe('–');
    expect(formatScore(0.856)).toBe('0.86');
    expect(formatPercent(0.726)).toBe('73%');
    expect(formatFactor(3.96)).toBe('4.0×');
    expect(formatFactor(12.3)).toBe('12×');
  });

  it('truncates on one line with an ellipsis', () => {
    expect(truncate('82*2=164\n', 20)).toBe('82*2=164');
    expect(truncate('82*2=164\nA:164\n', 40)).toBe('82*2=164 ⏎ A:164');
    const cut = truncate('0123456789abcdef', 8);
    expect(cut).toHaveLength(8);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('splits text into lines without a trailing empty line', () => {
    expect(textLines('a\nb\n')).toEqual(['a', 'b']);
    expect(textLines('a\nb')).toEqual(['a', 'b']);
    expect(textLines('')).toEqual(['']);
  });
});
