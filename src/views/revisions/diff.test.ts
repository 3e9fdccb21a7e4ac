import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random';
import { diffSteps, stepsOf } from './diff';

/** Length of the longest common subsequence, by brute-force-free DP (independent of diffSteps). */
function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const row = [0];
    b.forEach((y, j) =>
      row.push(
        x === y ? (prev[j] as number) + 1 : Math.max(prev[j + 1] as number, row[j] as number),
      ),
    );
    prev = row;
  }
  return prev[b.length] as number;
}

describe('diffSteps', () => {
  it('marks nothing when the attempt did not change', () => {
    const steps = ['37+45=82', '82*2=164', 'A:164'];
    expect(diffSteps(steps, steps).every((l) => l.change === 'same')).toBe(true);
  });

  it('shows a rewritten step as removed old + added new, keeping the unchanged ones', () => {
    const d = diffSteps(['37+45=82', '82*2=166', 'A:166'], ['37+45=82', '82*2=164', 'A:164']);
    expect(d).toEqual([
      { text: '37+45=82', change: 'same' },
      { text: '82*2=166', change: 'removed' },
      { text: 'A:166', change: 'removed' },
      { text: '82*2=164', change: 'added' },
      { text: 'A:164', change: 'added' },
    ]);
  });

  it('rebuilds both sides and keeps a longest common subsequence (random inputs)', () => {
    const rng = new Rng(42);
    for (let t = 0; t < 300; t++) {
      const alphabet = ['a', 'b', 'c', 'd'];
      const a = Array.from({ length: rng.int(0, 8) }, () => rng.pick(alphabet));
      const b = Array.from({ length: rng.int(0, 8) }, () => rng.pick(alphabet));
      const d = diffSteps(a, b);
      expect(d.filter((l) => l.change !== 'added').map((l) => l.text)).toEqual(a);
      expect(d.filter((l) => l.change !== 'removed').map((l) => l.text)).toEqual(b);
      expect(d.filter((l) => l.change === 'same')).toHaveLength(lcsLength(a, b));
    }
  });

  it('splits solutions into non-empty trimmed steps', () => {
    expect(stepsOf('37+45=82\n 82*2=164 \n\nA:164\n')).toEqual(['37+45=82', '82*2=164', 'A:164']);
  });
});
