/**
 * Token-by-token typing. The page plays the trace one event at a time and passes `revealFraction`
 * (0..1) for the newest `text_appended` event. TraceState does not say which event was last, so
 * the views compare the state with the one they rendered before: when exactly one event was
 * applied and it grew one node's text, that node is "typing", and only the appended part is
 * revealed gradually (the text it had before stays whole).
 */
import type { TraceNode, TraceState } from '../../engine/trace/events';

/** The node whose newest text is being typed, and how long its text was before that event. */
export interface TypingTarget {
  id: string;
  /** Length of the node's text before the newest text_appended event. */
  from: number;
}

/**
 * Which node the newest event appended text to, if the step from `prev` to `next` was one event.
 * @param prev the state rendered before (null on first render)
 * @param next the state to render now
 * @returns the node and the length of its text before the event, or null (nothing to animate:
 *   a jump, a step back, or an event that added no text)
 */
export function findTyping(prev: TraceState | null, next: TraceState): TypingTarget | null {
  if (prev === null || next.cursor !== prev.cursor + 1) return null;
  // Scan newest first: text is usually appended to recently created nodes.
  for (let i = next.order.length - 1; i >= 0; i--) {
    const id = next.order[i] as string;
    const after = next.nodes[id];
    const before = prev.nodes[id];
    // The reducer copies only the nodes an event touched, so untouched nodes are identical.
    if (after === undefined || before === undefined || after === before) continue;
    if (after.text.length > before.text.length && after.text.startsWith(before.text)) {
      return { id, from: before.text.length };
    }
  }
  return null;
}

/**
 * The part of a node's text to show now.
 * @param node the node
 * @param typing the node being typed (from findTyping), or null
 * @param revealFraction 0..1, share of the newest appended text to show
 */
export function revealedText(
  node: Pick<TraceNode, 'id' | 'text'>,
  typing: TypingTarget | null,
  revealFraction: number,
): string {
  if (typing === null || typing.id !== node.id) return node.text;
  const f = Number.isFinite(revealFraction) ? Math.min(1, Math.max(0, revealFraction)) : 1;
  const appended = node.text.length - typing.from;
  return node.text.slice(0, typing.from + Math.ceil(appended * f));
}

/** Whether a node is being typed right now (so the view can show a caret). */
export function isTyping(
  node: Pick<TraceNode, 'id'>,
  typing: TypingTarget | null,
  revealFraction: number,
): boolean {
  return typing !== null && typing.id === node.id && revealFraction < 1;
}
