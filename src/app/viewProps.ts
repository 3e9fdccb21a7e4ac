/**
 * The contract between the page (src/app, owner of layout, store and playback) and the
 * visualisations (src/views). The page passes these props; views render them and nothing else.
 * Views never read the store themselves, so they stay testable with plain data.
 */
import type { TraceState } from '../engine/trace/events';

/** Props of every trace view (BestOfNView, RevisionsView, BeamTreeView). */
export interface TraceViewProps {
  /** The trace replayed up to the playback cursor. */
  state: TraceState;
  /** The node shown in the inspector, or null. */
  selectedNodeId: string | null;
  /** Call with a node id when the user clicks/activates a node; null clears the selection. */
  onSelectNode(id: string | null): void;
  /** Presentation mode: larger type and strokes for a projector. */
  presentation: boolean;
  /**
   * 0..1: how much of the newest text_appended event's text is revealed, for token-by-token
   * animation. 1 means the whole text of every node is shown (e.g. when paused or scrubbing).
   */
  revealFraction: number;
}

/**
 * What the page passes as the sweep summary: a `SweepPlotSummary` (src/views/sweep/types.ts),
 * built from the engine's `SweepSummary` by src/app/sweepSummary.ts (one panel per difficulty
 * bin). Typed `unknown` so the plot checks it at run time (`asSweepPlotSummary`) and stays usable
 * with summaries loaded from files.
 */
export type SweepSummaryForView = unknown;

/** Compute unit on the plot's x axis. */
export type ComputeUnit = 'generations' | 'tokens' | 'flops';

/** Props of SweepPlot (accuracy against compute). */
export interface SweepPlotProps {
  summary: SweepSummaryForView;
  unit: ComputeUnit;
  presentation: boolean;
}
