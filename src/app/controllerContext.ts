import { createContext, useContext } from 'react';
import type { AppController } from './controller';

export const ControllerContext = createContext<AppController | null>(null);

/** The page's controller (runs, files, sweeps); throws outside its provider. */
export function useController(): AppController {
  const c = useContext(ControllerContext);
  if (!c) throw new Error('useController: no ControllerContext.Provider above this component');
  return c;
}
