import { useEffect } from 'react';
import type { AppStore } from '../../store/appStore';

/** Elements whose own keyboard behaviour must win (typing, sliders, menus, buttons). */
function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return true;
  // Space activates a focused button or link; arrows move in our own widgets (zoomable views).
  if (key === ' ' && (tag === 'BUTTON' || tag === 'A' || target.getAttribute('role') === 'button'))
    return true;
  // A focused widget that navigates with arrows (the search tree) keeps them.
  if (key.startsWith('Arrow') && target.closest('[role="application"], [role="slider"]'))
    return true;
  return target.closest('[data-keyboard="own"]') !== null;
}

/** Space plays and pauses; the arrow keys step back and forward. */
export function usePlaybackKeys(store: AppStore): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
      if (ownsKey(e.target, e.key)) return;
      const s = store.getState();
      if (e.key === ' ') s.togglePlay();
      else if (e.key === 'ArrowLeft') s.stepBack();
      else if (e.key === 'ArrowRight') s.stepForward();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}
