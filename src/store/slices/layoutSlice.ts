import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

/**
 * Which side panels are open. A lecturer folds them away to give the stage the whole width;
 * page-only state, not part of a shared link.
 */
export interface LayoutSlice {
  layout: { controlsOpen: boolean; inspectorOpen: boolean };
  togglePanel(panel: 'controls' | 'inspector'): void;
}

export const createLayoutSlice: StateCreator<AppState, [], [], LayoutSlice> = (set, get) => ({
  layout: { controlsOpen: true, inspectorOpen: true },
  togglePanel(panel) {
    const layout = get().layout;
    set({
      layout:
        panel === 'controls'
          ? { ...layout, controlsOpen: !layout.controlsOpen }
          : { ...layout, inspectorOpen: !layout.inspectorOpen },
    });
  },
});
