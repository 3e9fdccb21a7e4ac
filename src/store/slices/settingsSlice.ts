import type { StateCreator } from 'zustand/vanilla';
import { normalizeSettings, type RunSettings } from '../settings';
import type { AppState } from '../appStore';

/** Run configuration: every setting a share link carries. */
export interface SettingsSlice {
  settings: RunSettings;
  /** Change one setting; the result is normalised (M and chains fit N, problem fits level). */
  setSetting<K extends keyof RunSettings>(key: K, value: RunSettings[K]): void;
  /** Replace every setting at once (from a link, or from an imported trace's run). */
  replaceSettings(settings: RunSettings): void;
}

export const createSettingsSlice =
  (initial: RunSettings): StateCreator<AppState, [], [], SettingsSlice> =>
  (set, get) => ({
    settings: normalizeSettings(initial),
    setSetting(key, value) {
      const current = get().settings;
      if (current[key] === value) return;
      let next = { ...current, [key]: value };
      // A new level needs a problem of that level: clear the id so normalising picks the first one.
      if (key === 'level') next = { ...next, problemId: '' };
      set({ settings: normalizeSettings(next) });
    },
    replaceSettings(settings) {
      set({ settings: normalizeSettings(settings) });
    },
  });
