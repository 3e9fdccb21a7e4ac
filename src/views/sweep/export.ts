/**
 * Exports of the accuracy-against-compute figure: the data as CSV or JSON, the figure as SVG or
 * PNG. The CSV and the SVG text fixes are pure; the PNG path needs a browser (Image, canvas).
 */
import { costIn } from './layout';
import type { ComputeUnit, SweepPlotSummary, SweepPoint } from './types';

/** Header of the CSV export, in column order. */
export const CSV_COLUMNS = [
  'bin',
  'series_id',
  'series_label',
  'strategy',
  'budget_generations',
  'unit',
  'compute',
  'generations',
  'tokens',
  'flops',
  'accuracy',
  'ci95_low',
  'ci95_high',
  'setting',
] as const;

/**
 * One CSV cell. Text is quoted when it holds a comma, quote or newline; text that a spreadsheet
 * would run as a formula (= + - @ at the start) is prefixed with an apostrophe.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The sweep as CSV: one row per (bin, series, budget), compute-optimal rows last in each bin
 * (series_id "compute-optimal"). `compute` is the point's compute in `unit`; every unit is also
 * given in its own column.
 * @param summary sweep summary
 * @param unit the unit of the `compute` column (the plot's current unit)
 */
export function sweepToCsv(summary: SweepPlotSummary, unit: ComputeUnit): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  const row = (bin: string, id: string, label: string, strategy: string, p: SweepPoint): string =>
    [
      bin,
      id,
      label,
      strategy,
      p.budget,
      unit,
      costIn(p, unit),
      p.cost.generations,
      p.cost.tokens,
      p.cost.flops,
      p.accuracy,
      p.lo,
      p.hi,
      p.setting ?? '',
    ]
      .map(csvCell)
      .join(',');
  for (const bin of summary.bins) {
    for (const s of bin.series) {
      const pts = [...s.points].sort((a, b) => a.budget - b.budget);
      for (const p of pts) rows.push(row(bin.label, s.id, s.label, s.strategy, p));
    }
    for (const p of [...(bin.computeOptimal ?? [])].sort((a, b) => a.budget - b.budget)) {
      rows.push(row(bin.label, 'compute-optimal', 'Compute-optimal', 'compute-optimal', p));
    }
  }
  return `${rows.join('\n')}\n`;
}

/** The sweep summary as pretty JSON (the data export). */
export function sweepToJson(summary: SweepPlotSummary): string {
  return `${JSON.stringify({ format: 'ttc-lab-sweep', ...summary }, null, 2)}\n`;
}

/**
 * Make serialised SVG markup a standalone file: the SVG namespace on the root (XMLSerializer
 * leaves it out for inline SVG in some browsers) and an XML declaration.
 * @param markup outerHTML or XMLSerializer output of an <svg> element
 */
export function standaloneSvg(markup: string): string {
  let out = markup.trim();
  if (!/^<svg[^>]*\sxmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(out)) {
    out = out.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
  }
  if (!out.startsWith('<?xml')) out = `<?xml version="1.0" encoding="UTF-8"?>\n${out}`;
  return `${out}\n`;
}

/**
 * Serialise an <svg> element to a standalone SVG file. The plot sets its colours, fonts and
 * sizes as attributes (not CSS classes), so the file looks the same outside the page.
 * @param svg the rendered figure
 */
export function serializeSvg(svg: SVGSVGElement): string {
  return standaloneSvg(new XMLSerializer().serializeToString(svg));
}

/**
 * Render an <svg> element to a PNG (browser only).
 * @param svg the rendered figure
 * @param scale pixel ratio of the image (2 = sharp on a projector and in slides)
 * @param background fill behind the figure (PNG has no page behind it)
 */
export async function svgToPngBlob(
  svg: SVGSVGElement,
  scale = 2,
  background = '#ffffff',
): Promise<Blob> {
  const width = Number(svg.getAttribute('width')) || svg.getBoundingClientRect().width;
  const height = Number(svg.getAttribute('height')) || svg.getBoundingClientRect().height;
  const url = URL.createObjectURL(new Blob([serializeSvg(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'async';
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('could not render the figure to an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas available to draw the PNG');
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Offer a blob as a download (browser only).
 * @param blob file content
 * @param filename suggested file name
 */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Some browsers start the download asynchronously; revoke after they had a chance to read it.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
