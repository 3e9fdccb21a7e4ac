import { describe, expect, it } from 'vitest';
import { extractBoxed, extractFinalAnswer, readBraceGroup } from './extract';

describe('extractBoxed', () => {
  it.each([
    ['The answer is $\\boxed{18}$.', '18'],
    ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}', '\\left( 3, \\frac{\\pi}{2} \\right)'],
    ['first \\boxed{1} then \\boxed{2}', '2'],
    ['\\boxed {7}', '7'],
    ['\\boxed 5.', '5'],
    ['\\fbox{12}', '12'],
    ['\\boxed{\\{1,2\\}}', '\\{1,2\\}'],
    ['\\boxed{ 42 }', '42'],
  ])('%j -> %j', (text, expected) => {
    expect(extractBoxed(text)).toBe(expected);
  });

  it.each([
    ['no box here'],
    // Cut off by the token cap: the last box never closes, and an earlier one does not count.
    ['\\boxed{1} and then \\boxed{\\frac{1}{'],
    ['\\boxed{}'],
    ['\\boxedanswer{3}'],
  ])('%j -> null', (text) => {
    expect(extractBoxed(text)).toBeNull();
  });
});

describe('extractFinalAnswer', () => {
  it.each([
    ['So she makes 18 dollars.\n\n\\boxed{18}', '18'],
    ['The answer is 42.', '42'],
    ['The final answer is $\\frac{1}{2}$.', '\\frac{1}{2}'],
    ['Final Answer: 3.5', '3.5'],
    ['**Answer:** 7', '7'],
    ['He made a profit.\n#### 70,000', '70,000'],
    ['The answer is 12. Then later, the answer is 13.', '13'],
    ['The answer is 2.5 hours.', '2.5 hours'],
    // The box wins over a stated answer, wherever each is.
    ['\\boxed{5}\nThe answer is 6.', '5'],
  ])('%j -> %j', (text, expected) => {
    expect(extractFinalAnswer(text)).toBe(expected);
  });

  it('returns null when a solution states no answer', () => {
    expect(extractFinalAnswer('Step 1: 3 + 4 = 7.\n\nStep 2: 7 * 2 = 14.')).toBeNull();
  });
});

describe('readBraceGroup', () => {
  it('balances nested braces and skips escaped ones', () => {
    expect(readBraceGroup('{a{b}c}d', 0)).toEqual({ content: 'a{b}c', end: 7 });
    expect(readBraceGroup('{\\}x}', 0)).toEqual({ content: '\\}x', end: 5 });
    expect(readBraceGroup('{a{b}', 0)).toBeNull();
    expect(readBraceGroup('a', 0)).toBeNull();
  });
});
