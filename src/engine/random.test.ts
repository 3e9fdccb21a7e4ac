import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from './random';

describe('Rng', () => {
  it('continues from its state, and skip(n) is n draws', () => {
    const a = new Rng(deriveSeed(7, 3));
    a.next();
    const b = new Rng(a.current);
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()]);
    for (const n of [0, 1, 5, 1000, 2 ** 31 + 3]) {
      const drawn = new Rng(12345);
      const skipped = new Rng(12345);
      for (let i = 0; i < Math.min(n, 2000); i++) drawn.next();
      skipped.skip(n);
      if (n <= 2000) expect(skipped.current).toBe(drawn.current);
      const resumed = new Rng(skipped.current);
      expect(skipped.next()).toBe(resumed.next());
    }
    // Past 2^32 draws the state wraps.
    const wrapped = new Rng(99);
    wrapped.skip(2 ** 32);
    expect(wrapped.current).toBe(99);
  });
});
