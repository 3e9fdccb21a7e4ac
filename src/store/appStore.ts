/**
 * The app's one store, built from typed slices (zustand's slices pattern). It is a vanilla store:
 * the logic runs and is tested without React; `react.ts` adapts it to components.
 * Side effects (the worker, the URL, IndexedDB) live in src/app controllers that call its actions.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { defaultSettings, type RunSettings } from './settings';
import { createSettingsSlice, type SettingsSlice } from './slices/settingsSlice';
import { createModelSlice, type ModelSlice } from './slices/modelSlice';
import { createTraceSlice, type TraceSlice } from './slices/traceSlice';
import { createSelectionSlice, type SelectionSlice } from './slices/selectionSlice';
import { createNoticesSlice, type NoticesSlice } from './slices/noticesSlice';
import { createSweepSlice, type SweepSlice } from './slices/sweepSlice';
import { createLayoutSlice, type LayoutSlice } from './slices/layoutSlice';
import { createTaskDataSlice, type TaskDataSlice } from './slices/taskDataSlice';

export type AppState = SettingsSlice &
  ModelSlice &
  TraceSlice &
  SelectionSlice &
  NoticesSlice &
  SweepSlice &
  LayoutSlice &
  TaskDataSlice;

export type AppStore = StoreApi<AppState>;

/**
 * A fresh store.
 * @param initialSettings settings to start from (the page passes those read from the URL hash)
 */
export function createAppStore(initialSettings: RunSettings = defaultSettings()): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createSettingsSlice(initialSettings)(...a),
    ...createModelSlice(...a),
    ...createTraceSlice(...a),
    ...createSelectionSlice(...a),
    ...createNoticesSlice(...a),
    ...createSweepSlice(...a),
    ...createLayoutSlice(...a),
    ...createTaskDataSlice(...a),
  }));
}
