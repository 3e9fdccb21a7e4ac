/** SVG path data for series markers (d3-shape symbols), centred on (0, 0). */
import {
  symbol,
  symbolCircle,
  symbolCross,
  symbolDiamond,
  symbolSquare,
  symbolTriangle,
  symbolWye,
  type SymbolType,
} from 'd3-shape';
import type { MarkerShape } from './colors';

const SHAPES: Record<MarkerShape, SymbolType> = {
  circle: symbolCircle,
  square: symbolSquare,
  triangle: symbolTriangle,
  diamond: symbolDiamond,
  cross: symbolCross,
  wye: symbolWye,
};

/**
 * Path data of a marker.
 * @param shape marker shape
 * @param size area of the marker in px² (d3-shape's convention)
 */
export function markerPath(shape: MarkerShape, size: number): string {
  return symbol(SHAPES[shape], size)() ?? '';
}
