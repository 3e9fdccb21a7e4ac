/**
 * Accuracy against compute: one panel per difficulty bin, budget on a log2 x axis, one line per
 * strategy setting with its 95% band, the compute-optimal curve in black (beneath the others, which
 * it often follows), and the "x times less compute than best-of-N" readout. Colours, dashes and
 * markers all differ per series (Okabe-Ito), so the figure reads in greyscale and for colour-blind
 * viewers. Every style is an SVG attribute, so the exported SVG/PNG looks like the page.
 */
import { useId, useMemo, useRef, useState, type RefObject } from 'react';
import type { SweepPlotProps } from '../../app/viewProps';
import { EmptyView, rootClass } from '../shared/Marks';
import { formatCompact, formatPercent } from '../shared/format';
import { markerPath } from '../shared/markers';
import { useElementSize } from '../shared/useElementSize';
import { downloadBlob, serializeSvg, svgToPngBlob, sweepToCsv, sweepToJson } from './export';
import { costIn, layoutSweepPlot, type LegendItem, type SeriesPaths } from './layout';
import { fromEngineSummary, isEngineSweepSummary, type Binning } from './fromEngine';
import { asSweepPlotSummary, type ComputeUnit } from './types';
import '../views.css';

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const INK = '#1f2328';
const MUTED = '#57606a';
const GRID = '#e5e8eb';

export interface SweepPlotExtraProps {
  /** Show the SVG/PNG/CSV/JSON export buttons above the figure (default true). */
  exportButtons?: boolean;
  /** Base of exported file names (default "ttc-lab-sweep"). */
  fileName?: string;
  /** Receives the figure's <svg>, for exports driven by the page. */
  svgRef?: RefObject<SVGSVGElement | null>;
  /** For an engine SweepSummary: oracle (pass@1) or predicted (verifier score) bins. */
  binning?: Binning;
  /** For an engine SweepSummary: add a first panel with all problems (default true). */
  includeOverall?: boolean;
}

function Series({
  s,
  unit,
  fontSize,
  thick,
}: {
  s: SeriesPaths;
  unit: ComputeUnit;
  fontSize: number;
  thick: boolean;
}) {
  const size = (fontSize * (thick ? 0.62 : 0.6)) ** 2;
  return (
    <g>
      <path
        d={s.line}
        fill="none"
        stroke={s.style.color}
        strokeWidth={thick ? 3.5 : 2}
        strokeDasharray={s.style.dash || undefined}
        strokeLinejoin="round"
      />
      {s.markers.map((m) => (
        <path
          key={m.point.budget}
          d={markerPath(s.style.marker, size)}
          transform={`translate(${m.x},${m.y})`}
          fill={thick ? s.style.color : '#ffffff'}
          stroke={s.style.color}
          strokeWidth={1.6}
        >
          <title>
            {`${s.label}${m.point.setting ? ` (${m.point.setting})` : ''} · N=${m.point.budget} · ${formatCompact(costIn(m.point, unit))} ${unit}: ${formatPercent(m.point.accuracy)} (95% CI ${formatPercent(m.point.lo)}–${formatPercent(m.point.hi)})`}
          </title>
        </path>
      ))}
    </g>
  );
}

function LegendEntry({ item, fontSize }: { item: LegendItem; fontSize: number }) {
  const w = fontSize * 2.6;
  const cy = fontSize * 0.7;
  return (
    <g transform={`translate(${item.x},${item.y})`}>
      <line
        x1={0}
        x2={w}
        y1={cy}
        y2={cy}
        stroke={item.style.color}
        strokeWidth={item.optimal ? 3.5 : 2}
        strokeDasharray={item.style.dash || undefined}
      />
      <path
        d={markerPath(item.style.marker, (fontSize * 0.65) ** 2)}
        transform={`translate(${w / 2},${cy})`}
        fill={item.optimal ? item.style.color : '#ffffff'}
        stroke={item.style.color}
        strokeWidth={1.6}
      />
      <text x={w + fontSize * 0.5} y={cy} dy="0.35em" fill={INK}>
        {item.label}
      </text>
    </g>
  );
}

/** The accuracy-against-compute figure. Props: see SweepPlotProps (src/app/viewProps.ts). */
export function SweepPlot({
  summary,
  unit,
  presentation,
  exportButtons = true,
  fileName = 'ttc-lab-sweep',
  svgRef,
  binning = 'oracle',
  includeOverall = true,
}: SweepPlotProps & SweepPlotExtraProps) {
  const stageRef = useRef<HTMLDivElement | null>(null);
  const ownSvg = useRef<SVGSVGElement | null>(null);
  const figure = svgRef ?? ownSvg;
  const { width } = useElementSize(stageRef, { width: 1000, height: 400 });
  const [exportError, setExportError] = useState<string | null>(null);
  const ids = useId();
  // The page may pass the engine's summary or one already in the plot's shape.
  const data = useMemo(
    () =>
      asSweepPlotSummary(summary) ??
      (isEngineSweepSummary(summary) ? fromEngineSummary(summary, binning, includeOverall) : null),
    [summary, binning, includeOverall],
  );
  const fontSize = presentation ? 19 : 13;
  const layout = useMemo(
    () =>
      data
        ? layoutSweepPlot(data, unit, {
            width: Math.max(320, Math.floor(width)),
            panelHeight: presentation ? 400 : 300,
            fontSize,
          })
        : null,
    [data, unit, width, presentation, fontSize],
  );

  if (!data || !layout || data.bins.length === 0) {
    return (
      <section
        className={rootClass(presentation, 'tv-sweep')}
        aria-label="Accuracy against compute"
      >
        <div ref={stageRef} className="tv-sweep-stage">
          <EmptyView>No sweep results yet. Run a sweep to plot accuracy against compute.</EmptyView>
        </div>
      </section>
    );
  }

  const save = async (what: 'svg' | 'png' | 'csv' | 'json') => {
    setExportError(null);
    try {
      if (what === 'csv') {
        downloadBlob(
          new Blob([sweepToCsv(data, unit)], { type: 'text/csv' }),
          `${fileName}-${unit}.csv`,
        );
      } else if (what === 'json') {
        downloadBlob(
          new Blob([sweepToJson(data)], { type: 'application/json' }),
          `${fileName}.json`,
        );
      } else {
        const svg = figure.current;
        if (!svg) throw new Error('the figure is not on screen');
        const blob =
          what === 'svg'
            ? new Blob([serializeSvg(svg)], { type: 'image/svg+xml' })
            : await svgToPngBlob(svg, 2);
        downloadBlob(blob, `${fileName}-${unit}.${what}`);
      }
    } catch (err) {
      setExportError(`Export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const title = data.title ?? 'Accuracy against test-time compute';
  const fs = layout.fontSize;
  return (
    <section className={rootClass(presentation, 'tv-sweep')} aria-label="Accuracy against compute">
      {exportButtons ? (
        <div
          className="tv-toolbar tv-sweep-toolbar"
          role="group"
          aria-label="Export the figure or its data"
        >
          <span className="tv-muted">Export</span>
          <button type="button" className="tv-btn" onClick={() => void save('svg')}>
            SVG
          </button>
          <button type="button" className="tv-btn" onClick={() => void save('png')}>
            PNG
          </button>
          <button type="button" className="tv-btn" onClick={() => void save('csv')}>
            CSV
          </button>
          <button type="button" className="tv-btn" onClick={() => void save('json')}>
            JSON
          </button>
          {exportError ? (
            <span role="alert" className="tv-error">
              {exportError}
            </span>
          ) : null}
        </div>
      ) : null}
      <div ref={stageRef} className="tv-sweep-stage">
        <svg
          ref={figure}
          xmlns="http://www.w3.org/2000/svg"
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-labelledby={`${ids}-title ${ids}-desc`}
          fontFamily={FONT}
          fontSize={fs}
        >
          <title id={`${ids}-title`}>{title}</title>
          <desc id={`${ids}-desc`}>
            {`Accuracy (share of problems solved) against ${layout.xLabel}, one panel per difficulty bin, one line per strategy with 95% intervals.`}
          </desc>
          <rect width={layout.width} height={layout.height} fill="#ffffff" />
          <g>
            {layout.legend.map((item) => (
              <LegendEntry key={item.id} item={item} fontSize={fs} />
            ))}
          </g>
          {layout.panels.map((p) => (
            <g key={p.bin.id} transform={`translate(${p.x},${p.y})`}>
              <text x={p.plot.x} y={fs * 1.1} fontWeight={600} fill={INK}>
                {p.bin.label}
                {p.bin.problems !== undefined ? (
                  <tspan
                    fill={MUTED}
                    fontWeight={400}
                  >{` · ${p.bin.problems} problem${p.bin.problems === 1 ? '' : 's'}`}</tspan>
                ) : null}
              </text>
              <g transform={`translate(${p.plot.x},${p.plot.y})`}>
                {p.yTicks.map((tk) => (
                  <g key={`y${tk.value}`}>
                    <line x1={0} x2={p.plot.width} y1={tk.pos} y2={tk.pos} stroke={GRID} />
                    <text x={-fs * 0.4} y={tk.pos} dy="0.35em" textAnchor="end" fill={MUTED}>
                      {tk.label}
                    </text>
                  </g>
                ))}
                {p.xTicks.map((tk) => (
                  <g key={`x${tk.value}`} transform={`translate(${tk.pos},${p.plot.height})`}>
                    <line y1={0} y2={fs * 0.4} stroke={MUTED} />
                    <text y={fs * 1.3} textAnchor="middle" fill={MUTED}>
                      {tk.label}
                    </text>
                  </g>
                ))}
                <rect width={p.plot.width} height={p.plot.height} fill="none" stroke="#afb8c1" />
                {p.series.map((s) => (
                  <path
                    key={`band-${s.id}`}
                    d={s.band}
                    fill={s.style.color}
                    fillOpacity={0.1}
                    stroke="none"
                  />
                ))}
                {p.optimal ? (
                  <path d={p.optimal.band} fill="#000000" fillOpacity={0.07} stroke="none" />
                ) : null}
                {/* Compute-optimal first: where it follows a setting (it often does, being that
                    setting's curve), that setting's thinner line shows on top of it. */}
                {p.optimal ? <Series s={p.optimal} unit={unit} fontSize={fs} thick /> : null}
                {p.series.map((s) => (
                  <Series key={s.id} s={s} unit={unit} fontSize={fs} thick={false} />
                ))}
              </g>
              <text
                x={p.plot.x + p.plot.width / 2}
                y={p.plot.y + p.plot.height + fs * 2.7}
                textAnchor="middle"
                fill={INK}
              >
                {layout.xLabel}
              </text>
              <text
                transform={`translate(${fs * 0.8},${p.plot.y + p.plot.height / 2}) rotate(-90)`}
                textAnchor="middle"
                fill={INK}
              >
                Accuracy
              </text>
              {p.readout.map((line, i) => (
                <text
                  key={i}
                  x={p.plot.x}
                  y={p.plot.y + p.plot.height + fs * (4.1 + i * 1.25)}
                  fill={INK}
                  fontWeight={i === 0 ? 700 : 400}
                >
                  {line}
                </text>
              ))}
            </g>
          ))}
        </svg>
      </div>
    </section>
  );
}
