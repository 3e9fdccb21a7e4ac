import type { StateCreator } from 'zustand/vanilla';
import type { WebLLMModelInfo, WebLLMSpeedReport } from '../../runtime/webllm/model';
import type { AppState } from '../appStore';

export type ModelStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The model runs use: the embedded TinyMath models, or a WebLLM model the user loaded. TinyMath
 * stays loaded in the worker either way, so switching back loses nothing.
 */
export type ActiveModel = { kind: 'tinymath' } | { kind: 'webllm'; info: WebLLMModelInfo };

/**
 * Loading state of the embedded models (TinyMath generator, revision model and PRM) and which
 * model runs use.
 */
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
  activeModel: ActiveModel;
  /** The last prefill/decode speed WebLLM reported (null before the first call of a model). */
  webllmSpeed: WebLLMSpeedReport | null;
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
  /** Runs now use this model; a different model forgets the previous one's speed. */
  activateModel(model: ActiveModel): void;
  /** A speed report from the worker; ignored when it is about a model no longer active. */
  webllmSpeedReported(report: WebLLMSpeedReport): void;
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
  activeModel: { kind: 'tinymath' },
  webllmSpeed: null,
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
  activateModel(model) {
    const current = get().activeModel;
    const same =
      current.kind === model.kind &&
      (current.kind === 'tinymath' ||
        (model.kind === 'webllm' && current.info.modelId === model.info.modelId));
    if (same) return;
    set({ activeModel: model, webllmSpeed: null });
  },
  webllmSpeedReported(report) {
    const active = get().activeModel;
    if (active.kind !== 'webllm' || active.info.modelId !== report.modelId) return;
    set({ webllmSpeed: report });
  },
});
