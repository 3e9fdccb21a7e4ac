import { describe, it, expect } from 'vitest';
import { addCosts, costDelta, estimateFlops, sumCosts, zeroCosts } from './costs';

describe('costs', () => {
  it('zeroCosts is all zeros and addCosts adds field-wise', () => {
    const a = { generations: 1, generatedTokens: 2, promptTokens: 3, verifierTokens: 4, flops: 5 };
    const b = {
      generations: 10,
      generatedTokens: 20,
      promptTokens: 30,
      verifierTokens: 40,
      flops: 50,
    };
    expect(addCosts(zeroCosts(), a)).toEqual(a);
    expect(addCosts(a, b)).toEqual({
      generations: 11,
      generatedTokens: 22,
      promptTokens: 33,
      verifierTokens: 44,
      flops: 55,
    });
    expect(sumCosts([a, b, a])).toEqual(addCosts(addCosts(a, b), a));
  });

  it('FLOPs are 2 x params x tokens for generator and verifier', () => {
    expect(
      estimateFlops({
        modelParams: 1000,
        promptTokens: 7,
        generatedTokens: 3,
        verifierParams: 500,
        verifierTokens: 11,
      }),
    ).toBe(2 * 1000 * 10 + 2 * 500 * 11);
  });

  it('costDelta fills FLOPs, and deltas sum to the FLOPs of the totals', () => {
    const d1 = costDelta({
      modelParams: 100,
      verifierParams: 30,
      promptTokens: 5,
      generatedTokens: 4,
      generations: 2,
    });
    const d2 = costDelta({ modelParams: 100, verifierParams: 30, verifierTokens: 9 });
    expect(d1.flops).toBe(2 * 100 * 9);
    expect(d2.flops).toBe(2 * 30 * 9);
    const total = addCosts(d1, d2);
    expect(total.flops).toBe(
      estimateFlops({
        modelParams: 100,
        promptTokens: total.promptTokens,
        generatedTokens: total.generatedTokens,
        verifierParams: 30,
        verifierTokens: total.verifierTokens,
      }),
    );
    expect(total.generations).toBe(2);
  });
});
