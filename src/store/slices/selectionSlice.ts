import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

/** The node shown in the inspector. Kept apart from the trace: selecting never changes a run. */
export interface SelectionSlice {
  selectedNodeId: string | null;
  selectNode(id: string | null): void;
}

export const createSelectionSlice: StateCreator<AppState, [], [], SelectionSlice> = (set) => ({
  selectedNodeId: null,
  selectNode(id) {
    set({ selectedNodeId: id });
  },
});
