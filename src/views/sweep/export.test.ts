import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvCell, standaloneSvg, sweepToCsv, sweepToJson } from './export';
import { sweepFixture } from './fixture';

/** A small RFC 4180 parser, so the test reads the CSV the way a spreadsheet would. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  return rows;
}

describe('sweepToCsv', () => {
  const summary = sweepFixture();
  const rows = parseCsv(sweepToCsv(summary, 'tokens'));

  it('has the header and one row per point, compute-optimal included', () => {
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const points = summary.bins.reduce(
      (s, b) =>
        s + b.series.reduce((t, x) => t + x.points.length, 0) + (b.computeOptimal?.length ?? 0),
      0,
    );
    expect(rows.length - 1).toBe(points);
    expect(rows.slice(1).every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  it('round-trips labels with commas and quotes, and the numbers', () => {
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const first = rows[1] as string[];
    expect(first[col('bin')]).toBe('Bin 1, "easiest"');
    expect(first[col('series_label')]).toBe('Best-of-N weighted');
    const p = summary.bins[0]?.series[0]?.points[0];
    expect(Number(first[col('budget_generations')])).toBe(p?.budget);
    expect(Number(first[col('compute')])).toBe(p?.cost.tokens);
    expect(first[col('unit')]).toBe('tokens');
    expect(Number(first[col('accuracy')])).toBe(p?.accuracy);
    expect(Number(first[col('ci95_low')])).toBe(p?.lo);
    const optimal = rows.filter((r) => r[col('series_id')] === 'compute-optimal');
    expect(optimal).toHaveLength(7);
    expect(optimal[0]?.[col('setting')]).toBe('beam M=4');
  });

  it('keeps spreadsheet formulas out of text cells', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(Number.NaN)).toBe('');
  });
});

describe('sweepToJson and SVG text', () => {
  it('tags the JSON export with its format', () => {
    const parsed = JSON.parse(sweepToJson(sweepFixture())) as { format: string; bins: unknown[] };
    expect(parsed.format).toBe('ttc-lab-sweep');
    expect(parsed.bins).toHaveLength(2);
  });

  it('adds the SVG namespace and XML declaration once', () => {
    const out = standaloneSvg('<svg width="10"><rect/></svg>');
    expect(out.startsWith('<?xml')).toBe(true);
    expect(out).toContain('<svg xmlns="http://www.w3.org/2000/svg" width="10">');
    const again = standaloneSvg(out);
    expect(again.match(/xmlns=/g)).toHaveLength(1);
    expect(again.match(/<\?xml/g)).toHaveLength(1);
  });
});
