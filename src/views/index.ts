/**
 * The visualisations of ttc-lab. Components take plain props (src/app/viewProps.ts) and never
 * read the store, so they render recorded traces, live runs and test fixtures alike.
 */
import type { ComponentType } from 'react';
import type { TraceViewProps } from '../app/viewProps';
import type { StrategyKind } from '../engine/types';
import { BeamTreeView } from './beamTree/BeamTreeView';
import { BestOfNView } from './bestOfN/BestOfNView';
import { RevisionsView } from './revisions/RevisionsView';

export { BestOfNView, RevisionsView, BeamTreeView };
export { SweepPlot, type SweepPlotExtraProps } from './sweep/SweepPlot';
export { ScoreLegend, type ScoreLegendProps } from './ScoreLegend';

export {
  sweepToCsv,
  sweepToJson,
  serializeSvg,
  standaloneSvg,
  svgToPngBlob,
  downloadBlob,
  CSV_COLUMNS,
} from './sweep/export';
export {
  asSweepPlotSummary,
  type SweepPlotSummary,
  type SweepBin,
  type SweepSeries,
  type SweepPoint,
  type SweepCost,
} from './sweep/types';
export { computeSavings, layoutSweepPlot, UNIT_LABELS } from './sweep/layout';
export { fromEngineSummary, isEngineSweepSummary, type Binning } from './sweep/fromEngine';
export { layoutBeamTree, fitTransform } from './beamTree/layout';
export {
  scoreColor,
  cividisRgb,
  seriesStyle,
  OKABE_ITO,
  COMPUTE_OPTIMAL_STYLE,
  CORRECT_COLOR,
  INCORRECT_COLOR,
} from './shared/colors';
export { formatScore, formatCompact, formatPercent, formatFactor, truncate } from './shared/format';
export { diffSteps } from './revisions/diff';

const VIEWS: Record<StrategyKind, ComponentType<TraceViewProps>> = {
  'best-of-n': BestOfNView,
  revisions: RevisionsView,
  beam: BeamTreeView,
  lookahead: BeamTreeView,
  dvts: BeamTreeView,
};

/**
 * The trace view for a strategy.
 * @param kind the run's strategy kind (`state.run.strategy.kind`)
 * @example const View = viewForStrategy(state.run.strategy.kind); <View {...props} />
 */
export function viewForStrategy(kind: StrategyKind): ComponentType<TraceViewProps> {
  return VIEWS[kind];
}
