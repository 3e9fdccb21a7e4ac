import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '../appStore';

export type TaskDataStatus =
  { status: 'loading' } | { status: 'ready' } | { status: 'error'; error: string };

/**
 * Loading state of the fetched problem sets (GSM8K, MATH-500) in the page. Tasks that are
 * generated (arith) never appear here. Components re-read their problem lists when it changes.
 */
export interface TaskDataSlice {
  taskData: Record<string, TaskDataStatus>;
  taskDataChanged(taskId: string, status: TaskDataStatus): void;
}

export const createTaskDataSlice: StateCreator<AppState, [], [], TaskDataSlice> = (set, get) => ({
  taskData: {},
  taskDataChanged(taskId, status) {
    set({ taskData: { ...get().taskData, [taskId]: status } });
  },
});
