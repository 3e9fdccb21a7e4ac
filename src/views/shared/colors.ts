/**
 * Colours for the views. Everything here is chosen to survive colour-vision deficiency:
 * - PRM scores use cividis (Nuñez, Anderton and Renslow 2018), a sequential scale whose lightness
 *   rises monotonically from dark blue to yellow, so a score still reads as "darker = lower" in
 *   greyscale or for deuteranopes. d3-scale-chromatic is not a dependency, so the scale is a small
 *   table sampled at t = 0, 0.1, ..., 1 from d3's cividis fit, interpolated linearly in RGB.
 * - Strategies use the Okabe-Ito palette, always together with a dash pattern and a marker shape,
 *   so no series is told apart by hue alone.
 */

/** RGB triplets of cividis at t = 0, 0.1, ..., 1 (from d3-scale-chromatic's polynomial fit). */
export const CIVIDIS_TABLE: readonly (readonly [number, number, number])[] = [
  [0, 32, 81],
  [10, 50, 106],
  [43, 68, 110],
  [77, 86, 109],
  [105, 105, 112],
  [127, 124, 117],
  [148, 143, 120],
  [173, 164, 118],
  [202, 186, 106],
  [234, 209, 86],
  [253, 234, 69],
];

/**
 * The cividis colour at `t`, as an RGB triplet.
 * @param t position on the scale; clamped to [0, 1] (NaN reads as 0)
 */
export function cividisRgb(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const last = CIVIDIS_TABLE.length - 1;
  const i = Math.min(last - 1, Math.floor(x * last));
  const f = x * last - i;
  const a = CIVIDIS_TABLE[i] as readonly [number, number, number];
  const b = CIVIDIS_TABLE[i + 1] as readonly [number, number, number];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/**
 * CSS colour of a PRM (or oracle) score on the cividis scale.
 * @param score verifier score in [0, 1]; 0 = surely off track, 1 = surely on track
 */
export function scoreColor(score: number): string {
  const [r, g, b] = cividisRgb(score);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Colour for nodes that have no score yet (neutral, lighter than any cividis step). */
export const UNSCORED_COLOR = '#e4e4e7';

/**
 * WCAG relative luminance of an sRGB triplet (0 = black, 1 = white).
 * @param rgb red, green, blue in 0..255
 */
export function relativeLuminance(rgb: readonly [number, number, number]): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
}

/** Okabe-Ito, without its yellow (too light for lines on white) and black (kept for compute-optimal). */
export const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  bluishGreen: '#009E73',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  skyBlue: '#56B4E9',
  black: '#000000',
} as const;

/** Series colours in assignment order. */
export const SERIES_COLORS: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.vermillion,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
];

/** SVG stroke-dasharray patterns in assignment order ('' = solid). */
export const SERIES_DASHES: readonly string[] = [
  '',
  '8 4',
  '2 3',
  '10 3 2 3',
  '4 4',
  '12 3 2 3 2 3',
];

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'wye';

export const SERIES_MARKERS: readonly MarkerShape[] = [
  'circle',
  'square',
  'triangle',
  'diamond',
  'cross',
  'wye',
];

export interface SeriesStyle {
  color: string;
  dash: string;
  marker: MarkerShape;
}

/**
 * Visual style of the i-th series. Colour, dash and marker cycle with coprime-ish periods, so
 * two series never share all three even beyond the palette's length.
 * @param index the series' position in the legend (0-based)
 */
export function seriesStyle(index: number): SeriesStyle {
  const i = Math.max(0, Math.floor(index));
  return {
    color: SERIES_COLORS[i % SERIES_COLORS.length] as string,
    dash: SERIES_DASHES[
      (i + Math.floor(i / SERIES_COLORS.length)) % SERIES_DASHES.length
    ] as string,
    marker: SERIES_MARKERS[i % SERIES_MARKERS.length] as MarkerShape,
  };
}

/** The compute-optimal curve: black, thick, solid, drawn on top. */
export const COMPUTE_OPTIMAL_STYLE: SeriesStyle = {
  color: OKABE_ITO.black,
  dash: '',
  marker: 'diamond',
};

/** Marks for correct and incorrect answers: an icon AND a word, never colour alone. */
export const CORRECT_COLOR = '#00734d';
export const INCORRECT_COLOR = '#b8420a';
