import { useState } from 'react';
import type { TraceState } from '../../engine/trace/events';
import { findTyping, type TypingTarget } from './typing';

/**
 * The node being typed in `state`, found by comparing with the previously rendered state.
 * Uses React's "adjust state while rendering" pattern, so the comparison happens once per new
 * state and survives re-renders that only change `revealFraction`.
 */
export function useTyping(state: TraceState): TypingTarget | null {
  const [memo, setMemo] = useState<{ state: TraceState; typing: TypingTarget | null }>(() => ({
    state,
    typing: null,
  }));
  if (memo.state !== state) {
    const next = { state, typing: findTyping(memo.state, state) };
    setMemo(next);
    return next.typing;
  }
  return memo.typing;
}
