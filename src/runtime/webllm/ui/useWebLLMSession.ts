import { useSyncExternalStore } from 'react';
import type { WebLLMSession, WebLLMSessionState } from '../session';

/** The session's state, re-rendering on every change (loading progress included). */
export function useWebLLMSession(session: WebLLMSession): WebLLMSessionState {
  return useSyncExternalStore(session.subscribe, session.getState, session.getState);
}
