/**
 * Sweep results in IndexedDB, so a reload shows them and resumes an unfinished sweep.
 * One sweep is kept (the latest); records are plain JSON from the worker.
 */
import type { SweepStatus } from '../store/slices/sweepSlice';
import type { SweepRecord, SweepRequest } from '../store/sweepTypes';

export interface StoredSweep {
  request: SweepRequest;
  records: SweepRecord[];
  status: SweepStatus;
  /** Units of work done, and in the whole sweep (0 when not known yet). */
  done: number;
  total: number;
}

export interface SweepPersistence {
  load(): Promise<StoredSweep | null>;
  save(sweep: StoredSweep): Promise<void>;
  clear(): Promise<void>;
}

const DB_VERSION = 1;
const STORE = 'sweeps';
const KEY = 'current';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * Sweep storage in the browser's IndexedDB.
 * @param dbName database name; bump the suffix when StoredSweep changes shape
 */
export function indexedDbSweepStore(dbName = 'ttc-lab-v1'): SweepPersistence {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    db ??= new Promise((resolve, reject) => {
      const r = indexedDB.open(dbName, DB_VERSION);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB is not available'));
    });
    return db;
  };
  const tx = async (mode: IDBTransactionMode) =>
    (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async load() {
      const value = (await request((await tx('readonly')).get(KEY))) as StoredSweep | undefined;
      return value && typeof value === 'object' && Array.isArray(value.records) ? value : null;
    },
    async save(sweep) {
      await request((await tx('readwrite')).put(sweep, KEY));
    },
    async clear() {
      await request((await tx('readwrite')).delete(KEY));
    },
  };
}
