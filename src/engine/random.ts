/**
 * Seeded randomness. Every random choice in the engine and the tasks goes through here, so the
 * same seed gives the same problems, samples and traces in the browser, in Node and in tests.
 */

/** Mix a 32-bit value (splitmix32 finaliser). */
export function hash32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Derive an independent seed from a seed and any number of integers (a stream id, an index). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = hash32(seed >>> 0);
  for (const p of parts) h = hash32((h ^ hash32(p >>> 0)) >>> 0);
  return h;
}

/** A small, fast PRNG (mulberry32). `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /**
   * The whole generator state (a u32): `new Rng(s)` continues where this one is. A draw adds a
   * constant to it, which is why `skip` is cheap and why a GPU kernel can draw the same numbers.
   */
  get current(): number {
    return this.state;
  }
  /** Move past `draws` draws, as if next() had been called that many times. */
  skip(draws: number): void {
    this.state = (this.state + Math.imul(draws, 0x6d2b79f5)) >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer uniform in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('Rng.pick: empty list');
    return item;
  }
}
