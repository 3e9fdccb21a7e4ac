import { describe, expect, it } from 'vitest';
import type { BatchHandle, DecoderBackend, SavedRow } from './backend';
import { PrefixCache, type CachedPrefix } from './prefixCache';

const row = (bytes: number): SavedRow => ({ length: 0, bytes });
const entry = (ids: number[], bytes = 10, positions: number[] | null = null): CachedPrefix => ({
  ids,
  positions,
  saved: row(bytes),
  data: new Float32Array(ids.length),
});
const backend = (name: string) => ({ name }) as unknown as DecoderBackend;
const batch = (canSave: boolean) =>
  (canSave ? { saveRow: () => row(0), loadRow: () => undefined } : {}) as unknown as BatchHandle;

describe('PrefixCache', () => {
  it('finds the longest entry that begins the input, within the length allowed', () => {
    const cache = new PrefixCache(1000);
    cache.add(entry([1, 2]));
    cache.add(entry([1, 2, 3, 4]));
    cache.add(entry([1, 2, 9]));
    cache.add(entry([5, 2, 3, 4, 6]));
    expect(cache.longest([1, 2, 3, 4, 5], null, 10)?.ids).toEqual([1, 2, 3, 4]);
    expect(cache.longest([1, 2, 3, 4, 5], null, 3)?.ids).toEqual([1, 2]);
    expect(cache.longest([1, 2, 3], null, 10)?.ids).toEqual([1, 2]);
    expect(cache.longest([7], null, 10)).toBeNull();
    expect([cache.hits, cache.tokensReused]).toEqual([3, 8]);
  });

  it('matches position ids too (null means 0, 1, 2, ...)', () => {
    const cache = new PrefixCache(1000);
    cache.add(entry([1, 2, 3], 10, [30, 31, 0]));
    expect(cache.longest([1, 2, 3, 4], null, 10)).toBeNull();
    expect(cache.longest([1, 2, 3, 4], [30, 31, 0, 1], 10)?.ids).toEqual([1, 2, 3]);
    cache.add(entry([4, 5]));
    expect(cache.longest([4, 5, 6], [0, 1, 2], 10)?.ids).toEqual([4, 5]);
  });

  it('evicts the least recently used past its budget, and replaces an entry of the same input', () => {
    const cache = new PrefixCache(30);
    cache.add(entry([1], 10));
    cache.add(entry([2], 10));
    cache.add(entry([3], 10));
    // Using [1] makes [2] the oldest.
    expect(cache.longest([1, 0], null, 5)).not.toBeNull();
    cache.add(entry([4], 10));
    expect(cache.longest([2, 0], null, 5)).toBeNull();
    expect(cache.size).toBe(3);
    cache.add(entry([4], 10));
    expect(cache.size).toBe(3);
    // An entry larger than the whole budget is not kept.
    cache.add(entry([9], 31));
    expect(cache.longest([9], null, 5)).toBeNull();
    expect(cache.size).toBe(3);
  });

  it('holds rows of one backend: another empties it; a batch without saveRow or a budget of 0 is not cached', () => {
    const cache = new PrefixCache(100);
    const cpu = backend('cpu');
    expect(cache.usable(cpu, batch(true))).toBe(true);
    cache.add(entry([1, 2]));
    expect(cache.usable(cpu, batch(true))).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.usable(backend('cpu after a GPU failure'), batch(true))).toBe(true);
    expect(cache.size).toBe(0);
    expect(cache.usable(cpu, batch(false))).toBe(false);
    expect(new PrefixCache(0).usable(cpu, batch(true))).toBe(false);
  });
});
