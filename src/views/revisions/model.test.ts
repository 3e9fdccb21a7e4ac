import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../engine/trace/reducer';
import { revisionsFixture } from '../testing/fixtures';
import { finishedAttempts, revisionChains } from './model';
import { stepsOf } from './diff';

describe('revision chains', () => {
  const events = revisionsFixture(4, 4);
  const final = replayTrace(events);
  const chains = revisionChains(final, null, 1);

  it('groups attempts by chain (lane) and orders them by attempt index (round)', () => {
    expect(chains.map((c) => c.chain)).toEqual([0, 1, 2, 3]);
    for (const c of chains) {
      expect(c.attempts.map((a) => a.index)).toEqual([0, 1, 2, 3]);
      expect(c.attempts.every((a) => a.id.startsWith(`c${c.chain}a`))).toBe(true);
    }
  });

  it('diffs each attempt against the previous attempt of the same chain', () => {
    for (const c of chains) {
      expect(c.attempts[0]?.isRevision).toBe(false);
      expect(c.attempts[0]?.lines.every((l) => l.change === 'same')).toBe(true);
      for (let i = 1; i < c.attempts.length; i++) {
        const prevText = final.nodes[c.attempts[i - 1]?.id ?? '']?.text ?? '';
        const text = final.nodes[c.attempts[i]?.id ?? '']?.text ?? '';
        const lines = c.attempts[i]?.lines ?? [];
        expect(lines.filter((l) => l.change !== 'added').map((l) => l.text)).toEqual(
          stepsOf(prevText),
        );
        expect(lines.filter((l) => l.change !== 'removed').map((l) => l.text)).toEqual(
          stepsOf(text),
        );
        const changed = prevText !== text;
        expect((c.attempts[i]?.addedCount ?? 0) > 0).toBe(changed);
      }
    }
  });

  it('marks only the selected attempt as the final choice, not its ancestors in the chain', () => {
    const chosen = chains.flatMap((c) => c.attempts).filter((a) => a.chosen);
    expect(chosen.map((a) => a.id)).toEqual([final.selection?.id]);
  });

  it('offers finished attempts as vote candidates', () => {
    expect(finishedAttempts(chains)).toHaveLength(16);
    const half = replayTrace(
      events,
      events.findIndex((e) => e.type === 'node_created' && e.id === 'c0a2'),
    );
    expect(finishedAttempts(revisionChains(half, null, 1))).toHaveLength(8);
  });
});
