/**
 * Legend of the PRM score colour scale (cividis): a gradient bar from 0 to 1 with tick labels.
 * Rendered as HTML so it can sit in any toolbar; the gradient stops come from the same table the
 * nodes use, so legend and tree always agree.
 */
import { CIVIDIS_TABLE } from './shared/colors';
import './views.css';

export interface ScoreLegendProps {
  /** Caption before the bar ("PRM score", "Oracle score"). */
  title?: string;
  presentation?: boolean;
}

/** The score colour legend. */
export function ScoreLegend({ title = 'PRM score', presentation = false }: ScoreLegendProps) {
  const stops = CIVIDIS_TABLE.map(
    ([r, g, b], i) =>
      `rgb(${r}, ${g}, ${b}) ${((i / (CIVIDIS_TABLE.length - 1)) * 100).toFixed(0)}%`,
  ).join(', ');
  return (
    <figure
      className={`tv-legend${presentation ? ' tv-presentation' : ''}`}
      aria-label={`${title} colour scale: dark blue is 0 (off track), yellow is 1 (on track)`}
    >
      <figcaption className="tv-legend-title">{title}</figcaption>
      <span className="tv-legend-scale">
        <span
          className="tv-legend-bar"
          style={{ background: `linear-gradient(to right, ${stops})` }}
        />
        <span className="tv-legend-ticks" aria-hidden="true">
          <span>0</span>
          <span>0.5</span>
          <span>1</span>
        </span>
      </span>
      <span className="tv-legend-key tv-muted" aria-hidden="true">
        <span className="tv-legend-dot tv-legend-dot--unscored" /> not scored
      </span>
    </figure>
  );
}
