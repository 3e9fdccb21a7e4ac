import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
}

/** Messages for the user (import errors, worker errors). Text only, never HTML. */
export interface NoticesSlice {
  notices: Notice[];
  /** Show a message; returns its id. A message identical to a visible one is not repeated. */
  pushNotice(level: Notice['level'], text: string): number;
  dismissNotice(id: number): void;
}

export const createNoticesSlice: StateCreator<AppState, [], [], NoticesSlice> = (set, get) => {
  let nextId = 1;
  return {
    notices: [],
    pushNotice(level, text) {
      const existing = get().notices.find((n) => n.level === level && n.text === text);
      if (existing) return existing.id;
      const id = nextId++;
      // Keep the last few only: a flood of errors should not push the stage off the screen.
      set({ notices: [...get().notices, { id, level, text }].slice(-4) });
      return id;
    },
    dismissNotice(id) {
      set({ notices: get().notices.filter((n) => n.id !== id) });
    },
  };
};
