import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';
import type { ComputeUnit } from '../../app/viewProps';
import type { SweepRecord, SweepRequest } from '../sweepTypes';

/** How the sweep plot splits problems into panels. */
export type Binning = 'overall' | 'oracle' | 'predicted';

export type SweepStatus = 'idle' | 'running' | 'completed' | 'cancelled' | 'error';

/**
 * A budget sweep's bookkeeping: its request, the records completed so far (persisted in IndexedDB
 * by the page so a reload resumes), progress and the plot's compute unit.
 */
export interface SweepSlice {
  sweep: {
    status: SweepStatus;
    /** Id of the sweep the worker is running; messages for other ids are stale. */
    id: string | null;
    request: SweepRequest | null;
    records: SweepRecord[];
    done: number;
    total: number;
    message: string;
    error: string | null;
    unit: ComputeUnit;
    /** Panels: all problems, or bins of oracle (pass@1) or predicted (verifier) difficulty. */
    binning: Binning;
  };
  /** A sweep starts (or resumes with `records` already done). */
  sweepStarted(id: string, request: SweepRequest, records: SweepRecord[]): void;
  sweepProgress(id: string, done: number, total: number, message: string): void;
  sweepRecord(id: string, record: SweepRecord): void;
  sweepEnded(id: string, status: Exclude<SweepStatus, 'idle' | 'running'>, error?: string): void;
  /** Show a sweep restored from storage without running it. */
  sweepRestored(
    request: SweepRequest,
    records: SweepRecord[],
    status: SweepStatus,
    done: number,
    total: number,
  ): void;
  sweepCleared(): void;
  setSweepUnit(unit: ComputeUnit): void;
  setSweepBinning(binning: Binning): void;
}

export const createSweepSlice: StateCreator<AppState, [], [], SweepSlice> = (set, get) => {
  const patch = (p: Partial<SweepSlice['sweep']>) => set({ sweep: { ...get().sweep, ...p } });
  const current = (id: string) => get().sweep.id === id;
  return {
    sweep: {
      status: 'idle',
      id: null,
      request: null,
      records: [],
      done: 0,
      total: 0,
      message: '',
      error: null,
      unit: 'generations',
      binning: 'oracle',
    },
    sweepStarted(id, request, records) {
      patch({
        status: 'running',
        id,
        request,
        records,
        done: 0,
        total: 0,
        error: null,
        message: 'Starting…',
      });
    },
    sweepProgress(id, done, total, message) {
      if (current(id)) patch({ done, total, message });
    },
    sweepRecord(id, record) {
      if (current(id)) patch({ records: [...get().sweep.records, record] });
    },
    sweepEnded(id, status, error) {
      if (current(id)) patch({ status, error: error ?? null, id: null, message: '' });
    },
    sweepRestored(request, records, status, done, total) {
      patch({ status, request, records, id: null, done, total, error: null });
    },
    sweepCleared() {
      patch({
        status: 'idle',
        id: null,
        request: null,
        records: [],
        done: 0,
        total: 0,
        error: null,
      });
    },
    setSweepUnit(unit) {
      patch({ unit });
    },
    setSweepBinning(binning) {
      patch({ binning });
    },
  };
};
