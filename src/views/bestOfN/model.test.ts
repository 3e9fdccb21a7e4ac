import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../engine/trace/reducer';
import { findTyping } from '../shared/typing';
import { bestOfNFixture } from '../testing/fixtures';
import { bestOfNModel, stepsWithScores } from './model';

describe('best-of-N lanes', () => {
  const events = bestOfNFixture(64, 9);
  const final = replayTrace(events);

  it('has one lane per sample, in lane order, at N=64', () => {
    const model = bestOfNModel(final, null, 1);
    expect(model.lanes.map((l) => l.lane)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(model.finishedCount).toBe(64);
  });

  it('ends each lane with its answer, score and correctness from the trace', () => {
    const model = bestOfNModel(final, null, 1);
    for (const lane of model.lanes) {
      const node = final.nodes[lane.lastId];
      expect(lane.answer).toBe(node?.answer);
      expect(lane.correct).toBe(node?.correct);
      expect(lane.score).toBe(node?.score);
    }
  });

  it('marks exactly the selected sample as chosen and the lanes that voted for the winner', () => {
    const model = bestOfNModel(final, null, 1);
    const chosen = model.lanes.filter((l) => l.chosen);
    expect(chosen.map((l) => l.lastId)).toEqual([final.selection?.id]);
    const winnerVotes = final.selection?.votes.find((v) => v.answer === final.selection?.answer);
    expect(model.lanes.filter((l) => l.agreesWithWinner)).toHaveLength(winnerVotes?.count ?? -1);
  });

  it('shows lanes still waiting before their text arrives, and types the newest one', () => {
    const firstText = events.findIndex((e) => e.type === 'text_appended' && e.id === 's0');
    const prev = replayTrace(events, firstText);
    const next = replayTrace(events, firstText + 1);
    const typing = findTyping(prev, next);
    const model = bestOfNModel(next, typing, 0.5);
    const lane0 = model.lanes[0];
    const full = next.nodes['s0']?.text ?? '';
    expect(lane0?.typing).toBe(true);
    expect(lane0?.text).toBe(full.slice(0, Math.ceil(full.length / 2)));
    expect(model.lanes.slice(1).every((l) => l.text === '' && !l.finished)).toBe(true);
    expect(model.vote.bars).toHaveLength(0);
  });

  it('pairs steps with step scores only when the counts match', () => {
    expect(stepsWithScores('a\nb\nA:1\n', [0.9, 0.8, 0.1])).toEqual([
      { text: 'a', score: 0.9 },
      { text: 'b', score: 0.8 },
      { text: 'A:1', score: 0.1 },
    ]);
    expect(stepsWithScores('a\nb\n', [0.9]).every((s) => s.score === null)).toBe(true);
    expect(stepsWithScores('a\n\n  \nb', undefined).map((s) => s.text)).toEqual(['a', 'b']);
  });
});
