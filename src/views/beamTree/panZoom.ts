/**
 * Zoom and pan for an SVG whose content React renders. d3-zoom owns only the gesture handling on
 * one element; the transform goes back to React through `onTransform`, and React applies it to
 * the <g> it renders (xyflow's XYPanZoom pattern: create on mount, update, destroy on unmount).
 */
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3-zoom';
import type { ZoomTransform } from './layout';

export interface PanZoomOptions {
  minZoom: number;
  maxZoom: number;
  /**
   * Called on every transform change. `byUser` is true for wheel/drag/touch gestures and false
   * for programmatic changes (fit to view, zoom buttons).
   */
  onTransform(transform: ZoomTransform, byUser: boolean): void;
}

export interface PanZoomInstance {
  /** Change the zoom limits. */
  update(options: Pick<PanZoomOptions, 'minZoom' | 'maxZoom'>): void;
  /** Jump to a transform (fires onTransform with byUser = false). */
  setTransform(transform: ZoomTransform): void;
  /** Zoom by a factor around the element's centre. */
  scaleBy(factor: number): void;
  /** Remove every listener d3-zoom attached. */
  destroy(): void;
}

/**
 * Attach zoom and pan to `element`.
 * @param element the <svg> that receives wheel and drag gestures
 * @param options zoom limits and the transform callback
 */
export function createPanZoom(element: SVGSVGElement, options: PanZoomOptions): PanZoomInstance {
  let onTransform = options.onTransform;
  const behavior: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([options.minZoom, options.maxZoom])
    // A click that moves a few pixels is still a click on a node, not a pan.
    .clickDistance(4)
    .on('zoom', (event: D3ZoomEvent<SVGSVGElement, unknown>) => {
      const t = event.transform;
      onTransform({ x: t.x, y: t.y, k: t.k }, event.sourceEvent != null);
    });
  const selection = select(element);
  selection.call(behavior).on('dblclick.zoom', null);

  return {
    update(next) {
      behavior.scaleExtent([next.minZoom, next.maxZoom]);
    },
    setTransform(t) {
      selection.call(behavior.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
    },
    scaleBy(factor) {
      selection.call(behavior.scaleBy, factor);
    },
    destroy() {
      selection.on('.zoom', null);
      onTransform = () => undefined;
    },
  };
}
