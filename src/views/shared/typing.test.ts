import { describe, expect, it } from 'vitest';
import { exampleBeamTrace } from '../../engine/trace/sample-trace';
import { replayTrace } from '../../engine/trace/reducer';
import { findTyping, isTyping, revealedText } from './typing';

const events = exampleBeamTrace();
const indexOf = (pred: (e: (typeof events)[number]) => boolean) => events.findIndex(pred);

describe('token-by-token typing', () => {
  it('finds the node the newest text_appended event grew', () => {
    const i = indexOf((e) => e.type === 'text_appended' && e.id === 'b');
    const prev = replayTrace(events, i);
    const next = replayTrace(events, i + 1);
    expect(findTyping(prev, next)).toEqual({ id: 'b', from: 0 });
  });

  it('keeps text from earlier events whole and reveals only the new part', () => {
    // Node d gets '37+4' and then '5=83\n': the second event types only its own 5 characters.
    const i = events.findIndex(
      (e, k) => e.type === 'text_appended' && e.id === 'd' && k > 10 && e.text.startsWith('5'),
    );
    const prev = replayTrace(events, i);
    const next = replayTrace(events, i + 1);
    const typing = findTyping(prev, next);
    expect(typing).toEqual({ id: 'd', from: 4 });
    const node = next.nodes['d'];
    if (!node) throw new Error('no node d');
    expect(revealedText(node, typing, 0)).toBe('37+4');
    expect(revealedText(node, typing, 0.5)).toBe('37+45=8');
    expect(revealedText(node, typing, 1)).toBe('37+45=83\n');
    expect(isTyping(node, typing, 0.5)).toBe(true);
    expect(isTyping(node, typing, 1)).toBe(false);
  });

  it('animates nothing after a jump, a step back or an event without text', () => {
    const a = replayTrace(events, 5);
    expect(findTyping(a, replayTrace(events, 8))).toBeNull();
    expect(findTyping(replayTrace(events, 8), replayTrace(events, 7))).toBeNull();
    const scoredAt = indexOf((e) => e.type === 'scored');
    expect(findTyping(replayTrace(events, scoredAt), replayTrace(events, scoredAt + 1))).toBeNull();
    expect(findTyping(null, a)).toBeNull();
  });

  it('shows other nodes whole', () => {
    const next = replayTrace(events);
    const node = next.nodes['a'];
    if (!node) throw new Error('no node a');
    expect(revealedText(node, { id: 'b', from: 0 }, 0)).toBe(node.text);
  });
});
