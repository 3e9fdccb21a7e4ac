import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

export type ModelStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Loading state of the embedded models (TinyMath generator and PRM) in the worker. */
export interface ModelSlice {
  model: {
    status: ModelStatus;
    /** 0..1 while loading. */
    progress: number;
    /** What is being loaded right now, for the status line. */
    message: string;
    backend: 'cpu' | 'webgpu' | null;
    /** Shown to the user as is (e.g. "WebGPU is not available: running on the CPU"). */
    notice: string | null;
    error: string | null;
    generatorLabel: string | null;
    prmLabel: string | null;
  };
  modelLoading(progress: number, message: string): void;
  modelReady(info: {
    backend: 'cpu' | 'webgpu';
    notice: string | null;
    generatorLabel: string;
    prmLabel: string;
  }): void;
  modelFailed(error: string): void;
  /** The backend changed after loading; the notice says why (e.g. WebGPU failed, now on the CPU). */
  modelNotice(notice: string): void;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set, get) => ({
  model: {
    status: 'idle',
    progress: 0,
    message: '',
    backend: null,
    notice: null,
    error: null,
    generatorLabel: null,
    prmLabel: null,
  },
  modelLoading(progress, message) {
    // Progress of a file still arriving after another one failed (or after ready) is stale.
    if (get().model.status === 'error' || get().model.status === 'ready') return;
    set({
      model: {
        ...get().model,
        status: 'loading',
        progress: Math.min(1, Math.max(0, progress)),
        message,
      },
    });
  },
  modelReady(info) {
    set({
      model: { ...get().model, ...info, status: 'ready', progress: 1, message: '', error: null },
    });
  },
  modelNotice(notice) {
    set({ model: { ...get().model, notice, backend: 'cpu' } });
  },
  modelFailed(error) {
    set({ model: { ...get().model, status: 'error', error, message: '' } });
  },
});
