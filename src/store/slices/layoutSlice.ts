import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

export type Panel = 'controls' | 'inspector' | 'webllm';

/**
 * Which panels are open. A lecturer folds the side panels away to give the stage the whole
 * width; the WebLLM model picker opens over the inspector. Page-only state, not part of a link.
 */
export interface LayoutSlice {
  layout: { controlsOpen: boolean; inspectorOpen: boolean; webllmOpen: boolean };
  togglePanel(panel: Panel): void;
  setPanelOpen(panel: Panel, open: boolean): void;
}

const FIELD = {
  controls: 'controlsOpen',
  inspector: 'inspectorOpen',
  webllm: 'webllmOpen',
} as const satisfies Record<Panel, keyof LayoutSlice['layout']>;

export const createLayoutSlice: StateCreator<AppState, [], [], LayoutSlice> = (set, get) => ({
  layout: { controlsOpen: true, inspectorOpen: true, webllmOpen: false },
  togglePanel(panel) {
    const layout = get().layout;
    set({ layout: { ...layout, [FIELD[panel]]: !layout[FIELD[panel]] } });
  },
  setPanelOpen(panel, open) {
    const layout = get().layout;
    if (layout[FIELD[panel]] === open) return;
    set({ layout: { ...layout, [FIELD[panel]]: open } });
  },
});
