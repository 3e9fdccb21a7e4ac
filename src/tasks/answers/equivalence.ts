/**
 * Whether a model's final answer equals the reference: normalise both, then compare as strings,
 * as structures (tuples, intervals, sets, lists, matrices, equations) element by element, as
 * numbers (`2\sqrt{3}` = `\sqrt{12}`), or as expressions sampled at fixed points (`2x+3` =
 * `3+2x`). Numeric tolerance only absorbs floating-point error (relative 1e-9): a rounded
 * decimal such as 0.333 is not 1/3.
 */
import { evaluateMath, parseMath } from './latexMath';
import { normalizeAnswerText } from './normalize';

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Split at top-level commas (or another separator), respecting (), [], {} nesting. */
export function splitTopLevel(s: string, separator = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\') {
      // Commands are atomic; in particular `\cup` is split on by the caller.
      const cmd = /^\\[a-zA-Z]+/.exec(s.slice(i));
      if (depth === 0 && cmd && cmd[0] === separator) {
        parts.push(s.slice(start, i));
        start = i + cmd[0].length;
      }
      i += cmd ? cmd[0].length - 1 : 1;
      continue;
    }
    if (ch in OPENERS) depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (depth === 0 && ch === separator) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** `(a,b]` as its brackets and items, when the whole string is one bracketed group. */
function bracketed(s: string): { open: string; close: string; items: string[] } | null {
  const open = s[0];
  const close = s[s.length - 1];
  if (!open || !close || !'([{'.includes(open) || !')]}'.includes(close)) return null;
  // The opening bracket must close at the very end: "(1)(2)" is a product, not a group.
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\') {
      i++;
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) {
      depth--;
      if (depth === 0 && i < s.length - 1) return null;
    }
  }
  if (depth !== 0) return null;
  return { open, close, items: splitTopLevel(s.slice(1, -1)) };
}

/** Rows and cells of a `pmatrix`/`bmatrix`/`matrix`, or null. */
function matrixCells(s: string): string[][] | null {
  const m = /^\\begin\{([pbvB]?matrix)\}(.*)\\end\{\1\}$/.exec(s);
  if (!m) return null;
  return (m[2] as string)
    .split('\\\\')
    .filter((row) => row !== '')
    .map((row) => row.split('&'));
}

function close(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Points at which two expressions in the same variables are compared (fixed: no randomness). */
const SAMPLE_BASES = [0.5772, 1.3247, 2.7183, -0.8415, 3.1416, -1.618, 0.301];

function sameExpression(a: string, b: string): boolean {
  const ea = parseMath(a);
  const eb = parseMath(b);
  if (!ea || !eb) return false;
  if (ea.variables.join(',') !== eb.variables.join(',')) return false;
  if (ea.variables.length === 0) return close(evaluateMath(ea.node), evaluateMath(eb.node));
  if (ea.variables.length > 4) return false;
  let agreed = 0;
  for (let trial = 0; trial < SAMPLE_BASES.length; trial++) {
    const env = new Map<string, number>();
    ea.variables.forEach((v, k) => {
      env.set(v, (SAMPLE_BASES[(trial + 2 * k) % SAMPLE_BASES.length] as number) + 0.37 * k);
    });
    const va = evaluateMath(ea.node, env);
    const vb = evaluateMath(eb.node, env);
    const finiteA = Number.isFinite(va);
    if (finiteA !== Number.isFinite(vb)) return false;
    if (!finiteA) continue; // outside both domains (a log of a negative, say)
    if (!close(va, vb)) return false;
    agreed++;
  }
  return agreed >= 3;
}

/** Each item of `as` matched to a distinct equal item of `bs` (order ignored). */
function sameMultiset(as: readonly string[], bs: readonly string[], depth: number): boolean {
  if (as.length !== bs.length) return false;
  const used = new Array<boolean>(bs.length).fill(false);
  return as.every((a) => {
    const j = bs.findIndex((b, k) => !used[k] && equalNormalized(a, b, depth + 1));
    if (j < 0) return false;
    used[j] = true;
    return true;
  });
}

function samePairwise(as: readonly string[], bs: readonly string[], depth: number): boolean {
  return (
    as.length === bs.length && as.every((a, i) => equalNormalized(a, bs[i] as string, depth + 1))
  );
}

/** Equality of two already-normalised answers. */
function equalNormalized(a: string, b: string, depth = 0): boolean {
  if (a === b) return true;
  if (a === '' || b === '' || depth > 6) return false;

  const ma = matrixCells(a);
  const mb = matrixCells(b);
  if (ma || mb) {
    return (
      !!ma &&
      !!mb &&
      ma.length === mb.length &&
      ma.every((row, i) => samePairwise(row, mb[i] as string[], depth))
    );
  }

  const ua = splitTopLevel(a, '\\cup');
  const ub = splitTopLevel(b, '\\cup');
  if (ua.length > 1 || ub.length > 1) return samePairwise(ua, ub, depth);

  const ba = bracketed(a);
  const bb = bracketed(b);
  if (ba && bb && (ba.items.length > 1 || bb.items.length > 1 || ba.open === '{')) {
    if (ba.open === '{' && bb.open === '{') return sameMultiset(ba.items, bb.items, depth);
    // Tuples, points and intervals: the brackets matter ([1,2) is not (1,2)), order matters.
    return ba.open === bb.open && ba.close === bb.close && samePairwise(ba.items, bb.items, depth);
  }

  // "1, 2, 3" for "find all solutions": a list, order ignored.
  const la = splitTopLevel(a);
  const lb = splitTopLevel(b);
  if (la.length > 1 || lb.length > 1) return sameMultiset(la, lb, depth);

  const qa = splitTopLevel(a, '=');
  const qb = splitTopLevel(b, '=');
  if (qa.length === 2 && qb.length === 2) {
    const [la0 = '', la1 = ''] = qa;
    const [lb0 = '', lb1 = ''] = qb;
    return (
      (equalNormalized(la0, lb0, depth + 1) && equalNormalized(la1, lb1, depth + 1)) ||
      (equalNormalized(la0, lb1, depth + 1) && equalNormalized(la1, lb0, depth + 1))
    );
  }
  if (qa.length > 1 || qb.length > 1) return false;

  return sameExpression(a, b);
}

/**
 * Whether a final answer equals the reference answer.
 * @param answer The model's answer (raw or normalised); null (no answer) is never equal.
 * @param reference The dataset's reference answer (raw or normalised).
 * @example answersEqual('\\$1,000.00', '1000') // true
 * @example answersEqual('\\dfrac{\\sqrt{3}}{2}', '\\frac{1}{2}\\sqrt3') // true
 * @example answersEqual('[1,2)', '(1,2)') // false
 */
export function answersEqual(answer: string | null, reference: string): boolean {
  if (answer === null) return false;
  return equalNormalized(normalizeAnswerText(answer), normalizeAnswerText(reference));
}
