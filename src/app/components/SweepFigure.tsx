import { SweepPlot } from '../../views';
import type { SweepPlotProps } from '../viewProps';

/** The accuracy-against-compute figure, with its own SVG/PNG/CSV/JSON export buttons. */
export function SweepFigure(props: SweepPlotProps) {
  return <SweepPlot {...props} fileName="ttc-lab-sweep" />;
}
