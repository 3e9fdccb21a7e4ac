/** Small text formatters for the WebLLM picker (pure, tested). */

/** 1.54e9 -> "1.5B", 3.62e8 -> "362M". */
export function formatParameters(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  return `${Math.round(n / 1e6)}M`;
}

/** 1629.75 -> "1.6 GB", 376.06 -> "376 MB". */
export function formatMegabytes(mb: number): string {
  return mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/** 42.4 -> "42 s", 183 -> "3 min 3 s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
