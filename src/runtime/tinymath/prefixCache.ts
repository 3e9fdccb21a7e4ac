/**
 * Rows saved after a call, so that a later call whose input starts with the same tokens loads
 * them instead of prefilling them again. Tree search asks for this all the time: each round's
 * prompts are the last round's plus one step, and the PRM scores each candidate's steps after
 * having scored its parent's the round before. On the CPU path a prefill gives the same numbers
 * however it is split (cpu.ts), so a loaded row is bit for bit the row a prefill would make, and
 * results never depend on what the cache held.
 *
 * Entries are evicted least recently used first, past a memory budget. A cache holds rows of
 * one backend only: handing it another (the GPU failed over to the CPU) empties it.
 */
import type { BatchHandle, DecoderBackend, SavedRow } from './backend';

export interface CachedPrefix {
  readonly ids: readonly number[];
  /** Position id of each token; null: 0, 1, 2, ... */
  readonly positions: readonly number[] | null;
  readonly saved: SavedRow;
  /** What the caller keeps with the row (the PRM: a score per position; the generator: the last logits). */
  readonly data: Float32Array | Float64Array;
}

export class PrefixCache {
  /** Least recently used first. */
  private entries: CachedPrefix[] = [];
  private bytes = 0;
  private owner: DecoderBackend | null = null;
  /** Lookups that found a prefix, and tokens they saved from a prefill (for tests and profiling). */
  hits = 0;
  tokensReused = 0;

  constructor(readonly maxBytes: number) {}

  /** Whether `batch` can save and load rows (the CPU path); ties the cache to `backend`. */
  usable(backend: DecoderBackend, batch: BatchHandle): boolean {
    if (this.owner !== backend) {
      this.clear();
      this.owner = backend;
    }
    return this.maxBytes > 0 && batch.saveRow !== undefined && batch.loadRow !== undefined;
  }

  /**
   * The longest entry whose tokens (and positions) begin `ids`, at most `maxLength` long.
   * @param positions the position ids of `ids`; null for 0, 1, 2, ...
   */
  longest(
    ids: readonly number[],
    positions: readonly number[] | null,
    maxLength: number,
  ): CachedPrefix | null {
    let best: CachedPrefix | null = null;
    for (const e of this.entries) {
      const n = e.ids.length;
      if (n > maxLength || n > ids.length || (best && n <= best.ids.length)) continue;
      if (startsWith(ids, positions, e)) best = e;
    }
    if (best) {
      // Most recently used goes last.
      this.entries.splice(this.entries.indexOf(best), 1);
      this.entries.push(best);
      this.hits++;
      this.tokensReused += best.ids.length;
    }
    return best;
  }

  add(entry: CachedPrefix): void {
    if (entry.saved.bytes > this.maxBytes) return;
    const same = this.entries.findIndex(
      (e) => e.ids.length === entry.ids.length && startsWith(entry.ids, entry.positions, e),
    );
    if (same >= 0) this.remove(same);
    this.entries.push(entry);
    this.bytes += entry.saved.bytes;
    while (this.bytes > this.maxBytes) this.remove(0);
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }

  private remove(index: number): void {
    const [gone] = this.entries.splice(index, 1);
    if (gone) this.bytes -= gone.saved.bytes;
  }
}

function startsWith(
  ids: readonly number[],
  positions: readonly number[] | null,
  e: CachedPrefix,
): boolean {
  for (let i = 0; i < e.ids.length; i++) {
    if (ids[i] !== e.ids[i]) return false;
    if ((positions?.[i] ?? i) !== (e.positions?.[i] ?? i)) return false;
  }
  return true;
}
