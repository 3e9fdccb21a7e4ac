/**
 * Normalisation of final answers to one canonical text, so equal answers written differently
 * ("1,000", "\$1000.00", "1000 dollars") become the same string. The result is what the trace
 * shows as the answer and the key majority votes count, so it stays readable LaTeX.
 */
import { readBraceGroup } from './extract';

/** Stands in for a space that must survive whitespace removal. */
const KEPT_SPACE = '\u0001';

/** Stands in for `\\` while spacing commands are removed. */
const ROW_BREAK = '\u0002';

/** Commands whose argument is text (or formatting) and is kept without the command. */
const TEXT_COMMANDS = [
  'text',
  'textbf',
  'textit',
  'textrm',
  'textnormal',
  'textsf',
  'texttt',
  'mathrm',
  'mathbf',
  'mathit',
  'mathsf',
  'mbox',
  'hbox',
  'operatorname',
  'boxed',
  'fbox',
];

/**
 * Replace `\cmd{content}` by ` content ` for each text-like command, innermost first. Spaces
 * around the content keep a unit apart from its number (`5\text{cm}` reads as `5 cm`).
 */
function unwrapTextCommands(s: string): string {
  const re = new RegExp(`\\\\(?:${TEXT_COMMANDS.join('|')})(?![a-zA-Z])\\s*\\{`, 'g');
  for (let guard = 0; guard < 50; guard++) {
    re.lastIndex = 0;
    const m = re.exec(s);
    if (!m) return s;
    const open = m.index + m[0].length - 1;
    const group = readBraceGroup(s, open);
    if (!group) return s.slice(0, m.index) + s.slice(open + 1); // unbalanced: drop the command
    s = `${s.slice(0, m.index)} ${group.content} ${s.slice(group.end)}`;
  }
  return s;
}

/** Strip one layer of math delimiters around the whole answer: `$...$`, `\(...\)`, `\[...\]`. */
function stripMathDelimiters(s: string): string {
  for (;;) {
    const t = s.trim();
    let next = t;
    if (/^\$\$[\s\S]*\$\$$/.test(t) && t.length > 4) next = t.slice(2, -2);
    else if (/^\$[\s\S]*\$$/.test(t) && t.length > 2) next = t.slice(1, -1);
    else if (t.startsWith('\\(') && t.endsWith('\\)')) next = t.slice(2, -2);
    else if (t.startsWith('\\[') && t.endsWith('\\]')) next = t.slice(2, -2);
    if (next === t) return t;
    s = next;
  }
}

/**
 * Units and counted things that follow a number in GSM8K/MATH answers. Only stripped when they
 * come after a number, so a variable named `m` or `s` is never taken for a unit.
 */
const UNIT_WORDS = new Set(
  `cm mm km m meter meters metre metres centimeter centimeters kilometer kilometers
  in inch inches ft foot feet yd yard yards mi mile miles sq square cubic units unit
  s sec secs second seconds min mins minute minutes h hr hrs hour hours day days week weeks
  month months year years g kg gram grams kilogram kilograms lb lbs pound pounds oz ounce ounces
  l liter liters litre litres ml gallon gallons quart quarts cup cups pint pints
  cent cents dollar dollars usd mph kph per degree degrees percent`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Drop trailing units after a numeric answer: "5 cm", "18 eggs", "12\pi cm^2", "3 hours".
 * A trailing word counts as a unit when it is a known unit, or when it is a plain word of two or
 * more letters separated from the number by a space (so `2x` and `3 x` keep their variable).
 */
function stripUnits(s: string): string {
  const m = /^(.*?(?:\d|\}|\\[a-zA-Z]+))(\s*)((?:[a-zA-Z]+\.?\s*)+)(\^\{?[23]\}?)?\s*$/.exec(s);
  if (!m) return s;
  const [, prefix = '', gap = '', words = ''] = m;
  if (!/\d/.test(prefix)) return s;
  const list = words
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/\.$/, ''));
  const allUnits = list.every((w) => UNIT_WORDS.has(w.toLowerCase()));
  const spacedWords = gap.length > 0 && list.every((w) => w.length >= 2);
  // `\pi r` is a product, not "pi" with a unit r: single letters after a command stay.
  if (!allUnits && !spacedWords) return s;
  if (/\\[a-zA-Z]+$/.test(prefix) && !allUnits && list.some((w) => w.length < 2)) return s;
  return prefix;
}

/** gcd of two non-negative bigints. */
function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** An exact rational number, reduced, denominator positive. */
export interface Rational {
  num: bigint;
  den: bigint;
}

function makeRational(num: bigint, den: bigint): Rational | null {
  if (den === 0n) return null;
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num < 0n ? -num : num, den);
  return g === 0n ? { num: 0n, den: 1n } : { num: num / g, den: den / g };
}

/** A decimal literal as an exact rational: "-0.125" gives -1/8. */
function decimalToRational(text: string): Rational | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[2] || '0'}${frac}` || '0');
  const den = 10n ** BigInt(frac.length);
  return makeRational(m[1] === '-' ? -digits : digits, den);
}

/**
 * The exact rational value of a normalised answer that is a plain number: an integer, a decimal,
 * `a/b`, or `\frac{a}{b}` with integer or decimal parts and an optional sign. Null otherwise.
 */
export function parseRational(s: string): Rational | null {
  let sign = 1n;
  let t = s;
  if (t.startsWith('-')) {
    sign = -1n;
    t = t.slice(1);
  } else if (t.startsWith('+')) t = t.slice(1);
  let parts: [string, string] | null = null;
  const frac = /^\\frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(t);
  if (frac) parts = [frac[1] as string, frac[2] as string];
  else {
    const slash = /^([^/]+)\/([^/]+)$/.exec(t);
    if (slash) parts = [slash[1] as string, slash[2] as string];
  }
  if (parts) {
    const a = decimalToRational(parts[0]);
    const b = decimalToRational(parts[1]);
    if (!a || !b || b.num === 0n) return null;
    return makeRational(sign * a.num * b.den, a.den * b.num);
  }
  const d = decimalToRational(t);
  return d ? { num: sign * d.num, den: d.den } : null;
}

/**
 * A rational's canonical text: an integer ("12"), a terminating decimal ("2.5", "-0.125"), or
 * a reduced fraction ("1/3") when the decimal would not terminate.
 */
export function formatRational(r: Rational): string {
  if (r.den === 1n) return r.num.toString();
  let d = r.den;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d !== 1n) return `${r.num}/${r.den}`;
  const places = Math.max(twos, fives);
  const scaled = (r.num * 10n ** BigInt(places)) / r.den;
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  const text = `${digits.slice(0, -places)}.${digits.slice(-places)}`.replace(/\.?0+$/, '');
  return negative ? `-${text}` : text;
}

/**
 * Normalise a final answer to its canonical text. Removes math delimiters, `\left`/`\right`,
 * spacing commands, `\text{}` wrappers, units, degrees, percent and dollar signs, thousands
 * separators, a leading `x =`, and whitespace; writes `\dfrac` as `\frac`, `\frac12` as
 * `\frac{1}{2}`, `π` as `\pi`; and gives plain numbers one exact form ("0.50", "1/2" and
 * `\frac{1}{2}` all become "0.5"). Idempotent: normalising the result changes nothing.
 * @param raw An answer as extracted from a solution, or a dataset's reference answer.
 */
export function normalizeAnswerText(raw: string): string {
  let s = raw.normalize('NFKC');
  s = s
    .replace(/[\u2212\u2013\u2014]/g, '-')
    .replace(/×/g, '\\times ')
    .replace(/÷/g, '\\div ')
    .replace(/·/g, '\\cdot ')
    .replace(/π/g, '\\pi ')
    .replace(/∞/g, '\\infty ')
    .replace(/√/g, '\\sqrt')
    .replace(/°/g, '^\\circ')
    .replace(/≤/g, '\\le ')
    .replace(/≥/g, '\\ge ');
  s = stripMathDelimiters(s);
  s = unwrapTextCommands(s);
  // A LaTeX line break (matrix rows) must survive the removal of `\ ` spacing below.
  s = s.replace(/\\\\/g, ROW_BREAK);
  s = s
    .replace(/\\(?:displaystyle|textstyle|scriptstyle)(?![a-zA-Z])/g, '')
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])\.?/g, '')
    .replace(/\\(?:quad|qquad)(?![a-zA-Z])/g, ' ')
    .replace(/\\[!,;: ]/g, ' ')
    .replace(/~/g, ' ')
    .replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac')
    .replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom')
    .replace(/\\(?:le|leq|leqslant)(?![a-zA-Z])/g, '\\le')
    .replace(/\\(?:ge|geq|geqslant)(?![a-zA-Z])/g, '\\ge');
  // Degrees, percent and currency carry no value of their own here.
  s = s
    .replace(/\^\s*\{\s*\\circ\s*\}/g, '')
    .replace(/\^\s*\\circ/g, '')
    .replace(/\\circ(?![a-zA-Z])/g, '')
    .replace(/\\degree(?![a-zA-Z])/g, '')
    .replace(/\\%/g, '')
    .replace(/%/g, '')
    .replace(/\\\$/g, '')
    .replace(/\$/g, '');
  s = s.replace(/(^|[^\\a-zA-Z])pi(?![a-zA-Z])/g, '$1\\pi ');
  s = s.trim().replace(/[.;,\s]+$/, '');
  s = stripUnits(s);
  // A leading `x =` (one variable, one equals sign) names the answer rather than being part of it.
  const assignment = /^\s*(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*=\s*([^=]+)$/.exec(s);
  if (assignment && !/[<>]/.test(s)) s = assignment[1] as string;
  // "x \in [-2,7]" states the set the answer is.
  s = s.replace(/^\s*[a-zA-Z]\s*\\in(?![a-zA-Z])\s*/, '');
  // Whitespace goes, except where it separates a command from a following letter (`\pi r`).
  s = s
    .replace(/(\\[a-zA-Z]+)\s+(?=[a-zA-Z])/g, `$1${KEPT_SPACE}`)
    .replace(/\s+/g, '')
    .replaceAll(KEPT_SPACE, ' ');
  s = s.replace(/\\\{/g, '{').replace(/\\\}/g, '}').replaceAll(ROW_BREAK, '\\\\');
  // LaTeX shorthand with one-character arguments.
  s = s
    .replace(/\\frac(\d)(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac(\d)\{/g, '\\frac{$1}{')
    .replace(/\\frac\{([^{}]*)\}(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\sqrt(\d)/g, '\\sqrt{$1}')
    .replace(/\\sqrt([a-zA-Z])(?![a-zA-Z])/g, '\\sqrt{$1}')
    .replace(/_\{(\w)\}/g, '_$1')
    .replace(/\{,\}/g, ',');
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  if (s.startsWith('+')) s = s.slice(1);
  // A multiple-choice letter: "(C)" and "C" are the same choice.
  const choice = /^\(([A-Ea-e])\)$/.exec(s);
  if (choice) s = (choice[1] as string).toUpperCase();
  const rational = parseRational(s);
  if (rational) return formatRational(rational);
  // Answers in words ("Monday", "even") compare without case.
  if (/^[a-zA-Z]{3,}$/.test(s)) return s.toLowerCase();
  return s;
}
