/**
 * Final-answer extraction from free-form solutions written by chat models (GSM8K, MATH-500).
 * The prompts ask for `\boxed{...}`; the fallbacks catch the common ways models ignore that.
 */

/**
 * Read a balanced `{...}` group that starts at `open` (which must be `{`).
 * @returns The content between the braces and the index just after the closing brace, or null
 *   when the braces never balance (a solution cut off by the token cap).
 */
export function readBraceGroup(
  text: string,
  open: number,
): { content: string; end: number } | null {
  if (text[open] !== '{') return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    // `\{` and `\}` are literal braces in LaTeX (set notation), not grouping.
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`) in a text, nested braces included:
 * `\boxed{\frac{1}{2}}` gives `\frac{1}{2}`. Also reads the brace-less form `\boxed 5`.
 * Returns null when there is none, or when the last one is unfinished or empty: a solution that
 * restates its answer is judged by what it says last, so an earlier box does not stand in.
 */
export function extractBoxed(text: string): string | null {
  let last = -1;
  let after = -1;
  for (const m of text.matchAll(/\\(?:boxed|fbox)(?![a-zA-Z])/g)) {
    last = m.index;
    after = m.index + m[0].length;
  }
  if (last < 0) return null;
  let i = after;
  while (text[i] === ' ') i++;
  let content: string | null = null;
  if (text[i] === '{') content = readBraceGroup(text, i)?.content ?? null;
  else if (i > after) {
    // `\boxed 5` or `\boxed 5.`: one token, up to whitespace or `$`.
    const m = /^[^\s$]+/.exec(text.slice(i));
    content = m ? m[0].replace(/[.,;]$/, '') : null;
  }
  const trimmed = content?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** Phrases after which models state their final answer when they forget the box. */
const ANSWER_PHRASES: readonly RegExp[] = [
  /(?:final answer|the answer|answer)\s*(?:is|=|:)\s*/gi,
  /####\s*/g,
];

/** Strip the wrapping models put around an answer stated in words: `$...$`, `**`, a final period. */
function cleanStatedAnswer(raw: string): string {
  let s = raw.trim();
  s = s.replace(/^\*+|\*+$/g, '').trim();
  // The sentence ends at a period followed by a space/end; a decimal point is not an end.
  const sentenceEnd = /\.(?=\s|$)/.exec(s);
  if (sentenceEnd) s = s.slice(0, sentenceEnd.index);
  s = s.trim();
  if (s.startsWith('$') && s.endsWith('$') && s.length > 1) s = s.replace(/^\$+|\$+$/g, '');
  else if (s.startsWith('\\(') && s.endsWith('\\)')) s = s.slice(2, -2);
  else if (s.startsWith('\\[') && s.endsWith('\\]')) s = s.slice(2, -2);
  return s.trim();
}

/**
 * The final answer written in a solution: the last `\boxed{...}`; failing that, whatever follows
 * the last "the answer is", "final answer:", "Answer:" or "####" (to the end of its line or
 * sentence). Returns the raw answer text (not normalised), or null when there is none.
 * @param solution A complete or partial solution as the model wrote it.
 */
export function extractFinalAnswer(solution: string): string | null {
  const boxed = extractBoxed(solution);
  if (boxed !== null) return boxed;
  let best: { at: number; value: string } | null = null;
  for (const phrase of ANSWER_PHRASES) {
    phrase.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = phrase.exec(solution)) !== null) {
      const start = m.index + m[0].length;
      const lineEnd = solution.indexOf('\n', start);
      const value = cleanStatedAnswer(solution.slice(start, lineEnd < 0 ? undefined : lineEnd));
      if (value && (!best || m.index > best.at)) best = { at: m.index, value };
    }
  }
  return best?.value ?? null;
}
