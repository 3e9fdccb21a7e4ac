import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../engine/trace/reducer';
import { bestOfNFixture } from '../testing/fixtures';
import { voteMethodOf, voteModel } from './votes';

describe('vote bars', () => {
  const events = bestOfNFixture(16, 4);
  const final = replayTrace(events);

  it("uses the selected event's votes once the run has chosen", () => {
    const vote = voteModel(final, [], true);
    expect(vote.provisional).toBe(false);
    expect(vote.bars.map((b) => b.answer)).toEqual(final.selection?.votes.map((v) => v.answer));
    const winners = vote.bars.filter((b) => b.winner);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.answer).toBe(final.selection?.answer);
    expect(Math.max(...vote.bars.map((b) => b.share))).toBe(1);
  });

  it("tallies finished solutions with the run's rule before the choice", () => {
    const before = replayTrace(
      events,
      events.findIndex((e) => e.type === 'selected'),
    );
    expect(voteMethodOf(before)).toBe('weighted');
    const vote = voteModel(
      before,
      [
        { id: 'x', answer: '7', score: 0.9, correct: false },
        { id: 'y', answer: '8', score: 0.3, correct: true },
        { id: 'z', answer: '8', score: 0.3, correct: true },
      ],
      true,
    );
    expect(vote.provisional).toBe(true);
    // Weighted: 7 has 0.9 > 0.6, although 8 has more votes.
    expect(vote.bars[0]?.answer).toBe('7');
    expect(vote.bars[0]?.winner).toBe(true);
    expect(vote.bars[1]?.weight).toBeCloseTo(0.6);
  });

  it('counts instead of summing zero scores before any score arrived, and says so', () => {
    const before = replayTrace(events, 3);
    const vote = voteModel(
      before,
      [
        { id: 'x', answer: '7', score: 0, correct: false },
        { id: 'y', answer: '8', score: 0, correct: true },
        { id: 'z', answer: '8', score: 0, correct: true },
      ],
      false,
    );
    expect(vote.method).toBe('majority');
    expect(vote.note).not.toBeNull();
    expect(vote.bars[0]).toMatchObject({ answer: '8', weight: 2, count: 2 });
  });

  it('lists at most maxBars answers and summarises the rest', () => {
    const candidates = Array.from({ length: 20 }, (_, i) => ({
      id: `c${i}`,
      answer: String(i),
      score: 0.5,
      correct: false,
    }));
    const vote = voteModel(replayTrace(events, 3), candidates, true, 5);
    expect(vote.bars).toHaveLength(5);
    expect(vote.hiddenAnswers).toBe(15);
    expect(vote.hiddenCount).toBe(15);
  });
});
