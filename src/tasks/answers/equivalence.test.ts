import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answersEqual } from './equivalence';
import { extractFinalAnswer } from './extract';
import { normalizeAnswerText } from './normalize';

/** (model answer, reference answer, equal?) */
type Row = readonly [answer: string, reference: string, equal: boolean];

const INTEGERS_AND_DECIMALS: Row[] = [
  ['18', '18', true],
  ['18.0', '18', true],
  ['18.00', '18', true],
  ['018', '18', true],
  ['+18', '18', true],
  ['-7', '-7', true],
  ['−7', '-7', true],
  ['-7', '7', false],
  ['17', '18', false],
  ['0.5', '.5', true],
  ['0.50', '0.5', true],
  ['2.5', '2.50', true],
  ['2.5', '2.05', false],
  ['3.14', '3.14159', false],
  ['0.1', '0.01', false],
  ['100', '1000', false],
  ['1e3', '1000', false],
  ['18.', '18', true],
  ['-0', '0', true],
  ['1000000', '1,000,000', true],
];

const THOUSANDS: Row[] = [
  ['1,000', '1000', true],
  ['70,000', '70000', true],
  ['1{,}000', '1000', true],
  ['11,\\! 111,\\! 111,\\! 100', '11111111100', true],
  ['1,234.5', '1234.5', true],
  ['1,000', '100', false],
  ['12,345', '12346', false],
  ['2,125', '2125', true],
];

const FRACTIONS: Row[] = [
  ['\\frac{1}{2}', '0.5', true],
  ['\\dfrac{1}{2}', '\\frac{1}{2}', true],
  ['\\tfrac{1}{2}', '\\frac12', true],
  ['1/2', '\\frac{1}{2}', true],
  ['2/4', '\\frac{1}{2}', true],
  ['\\frac{2}{4}', '\\frac{1}{2}', true],
  ['\\frac{1}{3}', '1/3', true],
  ['\\frac{-1}{3}', '-\\frac{1}{3}', true],
  ['-1/3', '\\frac{1}{-3}', true],
  ['\\frac{1}{3}', '0.33', false],
  ['\\frac{1}{3}', '0.333', false],
  ['\\frac{2}{3}', '\\frac{3}{2}', false],
  ['\\frac{9}{256}', '9/256', true],
  ['\\dfrac{33}{100}', '0.33', true],
  ['\\frac{7}{2}', '3.5', true],
  ['\\frac{7}{2}', '3\\frac{1}{2}', false],
  ['\\frac{16}{49}', '\\frac{16}{48}', false],
  ['\\frac{x}{2}', '\\frac{1}{2}x', true],
  ['\\frac{x+1}{2}', '\\frac{x}{2}+\\frac{1}{2}', true],
  ['\\frac{x+1}{2}', '\\frac{x}{2}+1', false],
];

const ROOTS_AND_PI: Row[] = [
  ['\\sqrt{5}', '\\sqrt5', true],
  // LaTeX reads \sqrt51 as \sqrt{5} times 1.
  ['\\sqrt{51}', '\\sqrt51', false],
  ['\\sqrt{12}', '2\\sqrt{3}', true],
  ['2\\sqrt{3}', '2\\sqrt3', true],
  ['\\sqrt{3}/2', '\\frac{\\sqrt{3}}{2}', true],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{1}{2}\\sqrt{3}', true],
  ['\\frac{\\sqrt{3}}{2}', '0.866', false],
  ['\\sqrt{2}', '\\sqrt{3}', false],
  ['2\\sqrt{113}', '\\sqrt{452}', true],
  ['\\sqrt[3]{8}', '2', true],
  ['\\sqrt[3]{-8}', '-2', true],
  ['1+2\\sqrt{3}', '2\\sqrt{3}+1', true],
  ['1+2\\sqrt{3}', '1-2\\sqrt{3}', false],
  ['\\pi', '\\pi', true],
  ['π', '\\pi', true],
  ['2π', '2\\pi', true],
  ['2\\pi', '\\pi\\cdot 2', true],
  ['\\frac{\\pi}{2}', '\\frac{1}{2}\\pi', true],
  ['\\frac{\\pi}{2}', '\\frac{\\pi}{3}', false],
  ['3.14', '\\pi', false],
  ['12\\pi', '12 \\pi', true],
  ['4\\pi\\sqrt{3}', '4\\sqrt{3}\\pi', true],
  ['\\pi r^2', 'r^2\\pi', true],
  ['\\frac{\\pi^2}{8}', '\\frac{1}{8}\\pi^2', true],
];

const TEXT_AND_UNITS: Row[] = [
  ['\\text{Monday}', 'Monday', true],
  ['monday', '\\text{Monday}', true],
  ['\\text{Tuesday}', 'Monday', false],
  ['\\text{(C)}', 'C', true],
  ['(C)', '\\text{(C)}', true],
  ['(B)', 'C', false],
  ['5.4 \\text{ cents}', '5.4', true],
  ['5 \\text{ cm}', '5', true],
  ['5\\text{cm}', '5', true],
  ['5 \\mbox{ inches}', '5', true],
  ['12 \\text{ cm}^2', '12', true],
  ['12\\pi \\text{ cm}^2', '12\\pi', true],
  ['18 eggs', '18', true],
  ['3 hours', '3', true],
  ['3 hours', '4', false],
  ['10 \\text{ meters per second}', '10', true],
  ['\\textbf{18}', '18', true],
  ['\\mathrm{even}', '\\text{even}', true],
  ['\\text{odd}', '\\text{even}', false],
  ['2x', '2', false],
  ['3 x', '3', false],
  ['40_9', '40_{9}', true],
  ['40_9', '40', false],
  ['52_8', '52_{8}', true],
];

const DEGREES_PERCENT_DOLLARS: Row[] = [
  ['90^\\circ', '90', true],
  ['90^{\\circ}', '90', true],
  ['90°', '90^\\circ', true],
  ['90 degrees', '90', true],
  ['45^\\circ', '90^\\circ', false],
  ['50\\%', '50', true],
  ['50%', '50', true],
  ['50 percent', '50\\%', true],
  ['0.5', '50\\%', false],
  ['12.5\\%', '12.5', true],
  ['\\$18', '18', true],
  ['$18', '18', true],
  ['\\$18.00', '18', true],
  ['18 dollars', '18', true],
  ['\\$1,000.00', '1000', true],
  ['\\$70,000', '70000', true],
  ['\\$17', '18', false],
  ['\\$ 5.50', '5.5', true],
];

const INTERVALS_TUPLES_SETS: Row[] = [
  ['(1,2)', '(1, 2)', true],
  ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})', true],
  ['(3, \\pi/2)', '\\left( 3, \\frac{\\pi}{2} \\right)', true],
  ['(3, \\pi)', '\\left( 3, \\frac{\\pi}{2} \\right)', false],
  ['(2,1)', '(1,2)', false],
  ['(1,2,3)', '(1,2)', false],
  ['(0.5, -13)', '\\left( \\frac{1}{2}, -13 \\right)', true],
  ['(6,31,-1)', '(6, 31, -1)', true],
  ['[1,2)', '(1,2)', false],
  ['[1,2)', '[1, 2)', true],
  ['(3,4]', '(3,4]', true],
  ['(3,4]', '[3,4]', false],
  ['(-\\infty, 0]', '(-\\infty,0]', true],
  ['(-\\infty, 0)', '(-\\infty,0]', false],
  ['(2,\\infty)', '(2, \\infty)', true],
  ['(-\\infty, 2) \\cup (3, \\infty)', '(-\\infty,2)\\cup(3,\\infty)', true],
  ['(-\\infty, 2) \\cup (3, \\infty)', '(-\\infty,2)\\cup[3,\\infty)', false],
  ['(0,9) \\cup (9,36)', '(0,9)\\cup(9,36)', true],
  ['x \\in [-2,7]', '[-2,7]', true],
  ['\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]', '[\\pi^2/8, 5\\pi^2/4]', true],
  ['\\{1,2,3\\}', '\\{3,2,1\\}', true],
  ['\\{1,2\\}', '\\{1,3\\}', false],
  ['1, 2, 3', '3, 1, 2', true],
  ['1,-2', '-2,1', true],
  ['1,-2', '-2,2', false],
  ['3, 5, 7', '3,5', false],
  ['(1,-16,-4,43)', '(1, -16, -4, 43)', true],
  [
    '\\begin{pmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{pmatrix}',
    '\\begin{pmatrix}\\frac{16}{49}\\\\\\frac{48}{49}\\\\\\frac{24}{49}\\end{pmatrix}',
    true,
  ],
  [
    '\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}',
    '\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}',
    true,
  ],
  [
    '\\begin{pmatrix} -1 & 0 \\\\ 0 & 1 \\end{pmatrix}',
    '\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}',
    false,
  ],
  ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '(1,2)', false],
];

const ALGEBRA: Row[] = [
  ['p - q', 'p-q', true],
  ['-q + p', 'p - q', true],
  ['q - p', 'p - q', false],
  ['2k+2', '2(k+1)', true],
  ['2k+2', '2k+1', false],
  ['-13x+3', '3-13x', true],
  ['x^2-1', '(x-1)(x+1)', true],
  ['x^2+1', '(x-1)(x+1)', false],
  ['5r^5', '5 r^5', true],
  ['5r^5', '5r^4', false],
  ['-2 + 7i', '7i-2', true],
  ['-2 + 7i', '-2-7i', false],
  ['1+274i', '274i+1', true],
  ['x = 5', '5', true],
  ['y = 2x + 3', 'y=3+2x', true],
  ['y = 2x + 3', 'y=2x-3', false],
  ['5x - 7y + 11z + 4 = 0', '5x-7y+11z+4=0', true],
  ['0 = 5x - 7y + 11z + 4', '5x-7y+11z+4=0', true],
  ['\\frac{a}{b}', 'a/b', true],
  ['ab', 'ba', true],
  ['a+b', 'ab', false],
  ['2^{10}', '1024', true],
  ['2^{-1}', '\\frac{1}{2}', true],
  ['x^{2}', 'x^2', true],
  ['\\binom{5}{2}', '10', true],
  ['5!', '120', true],
  ['\\sin x', '\\sin(x)', true],
  ['\\theta + 1', '1+\\theta', true],
  ['1 \\pm \\sqrt{19}', '1\\pm\\sqrt{19}', true],
  ['3 \\pm 2 \\sqrt{2}', '3\\pm2\\sqrt{2}', true],
  ['3 \\pm 2 \\sqrt{2}', '3\\pm\\sqrt{2}', false],
  ['6 \\times 7', '42', true],
  ['6 \\cdot 7', '42', true],
  ['|{-3}|', '3', true],
];

const DELIMITERS_AND_NOISE: Row[] = [
  ['$18$', '18', true],
  ['\\(18\\)', '18', true],
  ['\\[18\\]', '18', true],
  ['$$\\frac{1}{2}$$', '0.5', true],
  ['\\boxed{18}', '18', true],
  ['\\displaystyle\\frac{1}{2}', '1/2', true],
  ['18.', '18', true],
  ['', '18', false],
  ['   ', '0', false],
  ['none', '0', false],
  ['\\frac{1}{0}', '0', false],
  ['\\infty', '\\infty', true],
  ['-\\infty', '\\infty', false],
];

const TABLE: Row[] = [
  ...INTEGERS_AND_DECIMALS,
  ...THOUSANDS,
  ...FRACTIONS,
  ...ROOTS_AND_PI,
  ...TEXT_AND_UNITS,
  ...DEGREES_PERCENT_DOLLARS,
  ...INTERVALS_TUPLES_SETS,
  ...ALGEBRA,
  ...DELIMITERS_AND_NOISE,
];

describe('answersEqual', () => {
  it('has a table of at least 150 rows with both outcomes well represented', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(150);
    expect(TABLE.filter((r) => r[2]).length).toBeGreaterThan(60);
    expect(TABLE.filter((r) => !r[2]).length).toBeGreaterThan(40);
  });

  it.each(TABLE)('%j vs %j -> %j', (answer, reference, equal) => {
    expect(answersEqual(answer, reference)).toBe(equal);
  });

  it('is symmetric on the table', () => {
    const asymmetric = TABLE.filter(([a, b]) => answersEqual(a, b) !== answersEqual(b, a));
    expect(asymmetric).toEqual([]);
  });

  it('treats a missing answer as wrong', () => {
    expect(answersEqual(null, '18')).toBe(false);
  });
});

describe('normalizeAnswerText', () => {
  it.each([
    ['\\$1,000.00', '1000'],
    ['\\dfrac{1}{2}', '0.5'],
    ['\\frac13', '1/3'],
    ['-\\frac{3}{4}', '-0.75'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['90^\\circ', '90'],
    ['\\text{Monday}', 'monday'],
    ['x = \\frac{1}{2}', '0.5'],
    ['\\pi r^2', '\\pi r^2'],
  ])('%j -> %j', (raw, normalised) => {
    expect(normalizeAnswerText(raw)).toBe(normalised);
  });

  it('is idempotent on the table', () => {
    for (const [a, b] of TABLE) {
      for (const s of [a, b]) {
        const once = normalizeAnswerText(s);
        expect(normalizeAnswerText(once), s).toBe(once);
      }
    }
  });
});

describe('on the real MATH-500 and GSM8K files', () => {
  const math = readFileSync(
    new URL('../../../public/data/math500/test.jsonl', import.meta.url),
    'utf8',
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { solution: string; answer: string });
  const gsm = readFileSync(
    new URL('../../../public/data/gsm8k/test-subset.jsonl', import.meta.url),
    'utf8',
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { answer: string });

  it('extracts from every MATH-500 reference solution an answer equal to its reference', () => {
    const misses = math.filter((r) => !answersEqual(extractFinalAnswer(r.solution), r.answer));
    expect(misses.map((r) => r.answer)).toEqual([]);
  });

  it('normalises every MATH-500 reference answer idempotently', () => {
    const unstable = math
      .map((r) => normalizeAnswerText(r.answer))
      .filter((n) => normalizeAnswerText(n) !== n);
    expect(unstable).toEqual([]);
  });

  it('does not make different MATH-500 answers equal, except a reordered list', () => {
    // Reference answers of different problems are mostly different; the only allowed pair is
    // "1,-2" and "-2,1", which are the same set of solutions written in another order.
    const norm = math.map((r) => normalizeAnswerText(r.answer));
    const pairs: string[] = [];
    for (let i = 0; i < math.length; i++) {
      for (let j = i + 1; j < math.length; j++) {
        if (norm[i] !== norm[j] && answersEqual(norm[i] as string, norm[j] as string)) {
          pairs.push(`${norm[i]} = ${norm[j]}`);
        }
      }
    }
    expect(pairs).toEqual(['1,-2 = -2,1']);
  });

  it('reads every GSM8K reference solution after ####, as a plain number', () => {
    for (const r of gsm) {
      const reference = (r.answer.split('####').pop() ?? '').trim();
      expect(answersEqual(extractFinalAnswer(r.answer), reference)).toBe(true);
      expect(normalizeAnswerText(reference)).toMatch(/^-?\d+(\.\d+)?$/);
    }
  });
});
