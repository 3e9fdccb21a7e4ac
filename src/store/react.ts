/** React adapter for the vanilla store: one provider, one hook. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from './appStore';

export const AppStoreContext = createContext<AppStore | null>(null);

/** The store given to <AppStoreContext.Provider>; throws outside it (a wiring bug, not a user error). */
export function useAppStoreApi(): AppStore {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore: no AppStoreContext.Provider above this component');
  return store;
}

/**
 * Subscribe to the part of the state a component draws. Selectors should return stable values
 * (a slice field, a primitive) so unrelated updates do not re-render.
 */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
