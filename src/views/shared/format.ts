/** Number and text formatting shared by the views. Pure functions, no DOM. */

/**
 * A score in [0,1] with two decimals ("0.85"); "–" when there is none.
 * @param score verifier score, or undefined before scoring
 */
export function formatScore(score: number | undefined | null): string {
  return score === undefined || score === null || !Number.isFinite(score) ? '–' : score.toFixed(2);
}

/**
 * A fraction as a percentage with no decimals ("73%").
 * @param fraction value in [0,1]
 */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

const SI = [
  { value: 1e15, symbol: 'P' },
  { value: 1e12, symbol: 'T' },
  { value: 1e9, symbol: 'G' },
  { value: 1e6, symbol: 'M' },
  { value: 1e3, symbol: 'k' },
];

/**
 * A count in compact SI form: 950 -> "950", 1234 -> "1.2k", 3.4e12 -> "3.4T".
 * @param value non-negative count (tokens, FLOPs, generations)
 */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  for (const { value: v, symbol } of SI) {
    if (abs >= v) {
      const scaled = value / v;
      const digits = Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 0 : 1;
      return `${trimZeros(scaled.toFixed(digits))}${symbol}`;
    }
  }
  if (Number.isInteger(value)) return String(value);
  return trimZeros(value.toFixed(abs >= 10 ? 1 : 2));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A savings factor as people say it: 3.96 -> "4.0×", 12.3 -> "12×".
 * @param factor ratio > 0 (baseline compute / compared compute)
 */
export function formatFactor(factor: number): string {
  if (!Number.isFinite(factor)) return '–';
  return `${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}×`;
}

/**
 * Text cut to at most `max` characters, with an ellipsis when cut. Newlines become " ⏎ " so a
 * multi-step text stays on one line.
 * @param text any model text
 * @param max most characters to keep (ellipsis included)
 */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\n+$/, '').replace(/\n/g, ' ⏎ ');
  if (flat.length <= max) return flat;
  return `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Split generated text into display lines: arithmetic steps are one per line, and a trailing
 * newline does not make an empty last line.
 * @param text the text of a solution or step
 */
export function textLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
