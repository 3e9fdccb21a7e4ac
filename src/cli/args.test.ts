import { describe, expect, it } from 'vitest';
import { arithTask, canonicalSolution, generateArith } from '../tasks/arith';
import {
  CliError,
  parseLevels,
  parseNumber,
  parseStrategy,
  progressText,
  toStrategyConfig,
  type CliRunOptions,
} from './args';

const base: CliRunOptions = {
  strategy: 'beam',
  n: 16,
  beamWidth: 4,
  lookahead: 2,
  chains: 4,
  selection: '',
  temperature: 1,
  topP: 1,
  aggregation: 'last',
  level: 3,
  maxTokens: null,
  maxRounds: 40,
};

describe('cli args', () => {
  it('gives every level room for its longest canonical solution unless --max-tokens says otherwise', () => {
    for (let level = 1; level <= arithTask.levels; level++) {
      // One token per character, plus the end-of-sequence token.
      const longest = Math.max(
        ...Array.from(
          { length: 200 },
          (_, seed) => canonicalSolution(generateArith(level, seed)).length + 1,
        ),
      );
      const bon = toStrategyConfig({ ...base, strategy: 'best-of-n', level });
      expect(bon.maxTokens, `level ${level}`).toBeGreaterThanOrEqual(longest);
      const beam = toStrategyConfig({ ...base, level });
      expect(beam.maxTokens).toBeLessThan(bon.maxTokens);
    }
    expect(toStrategyConfig({ ...base, level: 5, maxTokens: 50 }).maxTokens).toBe(50);
  });

  it('builds each strategy config from the options', () => {
    expect(toStrategyConfig(base)).toMatchObject({
      kind: 'beam',
      n: 16,
      beamWidth: 4,
      maxRounds: 40,
    });
    expect(toStrategyConfig({ ...base, strategy: 'lookahead' })).toMatchObject({
      kind: 'lookahead',
      lookahead: 2,
    });
    expect(toStrategyConfig({ ...base, strategy: 'revisions' })).toMatchObject({
      kind: 'revisions',
      chains: 4,
      selection: 'verifier',
    });
    expect(
      toStrategyConfig({ ...base, strategy: 'best-of-n', selection: 'majority' }),
    ).toMatchObject({ selection: 'majority' });
  });

  it('rejects bad values with a message naming the option', () => {
    expect(() => parseNumber('n', 'x', 1)).toThrow(/--n must be an integer/);
    expect(() => parseStrategy('mcts')).toThrow(CliError);
    expect(() =>
      toStrategyConfig({ ...base, strategy: 'best-of-n', selection: 'verifier' }),
    ).toThrow(/--selection/);
    expect(() => parseLevels('0-2', 5)).toThrow(/level 0 does not exist/);
  });

  it('parses level ranges and lists', () => {
    expect(parseLevels('2-4', 5)).toEqual([2, 3, 4]);
    expect(parseLevels('5,1,1', 5)).toEqual([1, 5]);
    expect(parseLevels(undefined, 3)).toEqual([1, 2, 3]);
  });

  it('rewrites one progress line on a terminal and writes a line every 30 s into a file', () => {
    const at = (done: number, elapsedS: number, lastWrittenS: number | null) => ({
      done,
      total: 100,
      elapsedS,
      lastWrittenS,
    });
    expect(progressText(at(10, 5, 4), true)).toBe('\r10/100 units, 5 s, about 1 min left   ');
    expect(progressText(at(1, 1, null), false)).toBe('1/100 units, 1 s, about 2 min left\n');
    expect(progressText(at(10, 20, 1), false)).toBeNull();
    expect(progressText(at(50, 31, 1), false)).toBe('50/100 units, 31 s, about 1 min left\n');
    expect(progressText(at(100, 40, 31), false)).toBe('100/100 units, 40 s\n');
  });

  it('estimates time left from the weighted work this process did', () => {
    // Half the units but a tenth of the work in 60 s: 9 min left, not 1.
    const p = { done: 50, total: 100, elapsedS: 60, lastWrittenS: null };
    expect(progressText({ ...p, work: { done: 100, total: 1000, resumed: 0 } }, false)).toBe(
      '50/100 units, 60 s, about 9 min left\n',
    );
    // A resumed sweep: 400 of the 500 done were found done, so 100 took the 60 s.
    expect(progressText({ ...p, work: { done: 500, total: 1000, resumed: 400 } }, false)).toBe(
      '50/100 units, 60 s, about 5 min left\n',
    );
    // Nothing done by this process yet: no estimate.
    expect(progressText({ ...p, work: { done: 400, total: 1000, resumed: 400 } }, false)).toBe(
      '50/100 units, 60 s\n',
    );
  });
});
