import { describe, it, expect } from 'vitest';
import { Rng } from '../random';
import type { Costs } from '../types';
import type { PoolSample } from './pool';
import {
  runSweep,
  type PoolRecord,
  type ResultRecord,
  type SweepRecord,
  type SweepSetting,
} from './runner';
import { summarizeSweep, sweepSummaryToCsv } from './summary';

const budgets = [1, 2, 4, 8, 16, 32, 64];

function costs(generations: number, tokens: number, flops: number): Costs {
  return { generations, generatedTokens: tokens, promptTokens: 0, verifierTokens: 0, flops };
}

/** A pool with `right` correct samples out of 8; the verifier scores right ones higher. */
function pool(problemId: string, right: number, scored = true): PoolRecord {
  const samples: PoolSample[] = Array.from({ length: 8 }, (_, i) => ({
    answer: i < right ? '1' : '0',
    score: scored ? (i < right ? 0.8 : 0.2) : null,
    correct: i < right,
    costs: costs(1, 10, 1000),
  }));
  return { kind: 'pool', problemId, nMax: 8, seed: 0, samples };
}

function result(
  problemId: string,
  settingId: string,
  budget: number,
  accuracy: number,
  c: Costs,
): ResultRecord {
  return { kind: 'result', problemId, settingId, budget, accuracy, costs: c, source: 'pool' };
}

const settings: SweepSetting[] = [
  { kind: 'pool', id: 'bon', label: 'Best-of-N weighted', selection: 'weighted' },
  { kind: 'search', id: 'beam', label: 'Beam search M=4', config: null },
];

/**
 * 50 problems. Best-of-N gains 0.1 accuracy per doubling; beam reaches at b what best-of-N
 * reaches at 4b, in generations and tokens, but costs twice the FLOPs per generation.
 */
function syntheticRecords(scored = true): SweepRecord[] {
  const records: SweepRecord[] = [];
  for (let i = 0; i < 50; i++) {
    const id = `p${i}`;
    records.push(pool(id, Math.floor((i * 9) / 50), scored));
    for (const b of budgets) {
      records.push(result(id, 'bon', b, 0.1 + 0.1 * Math.log2(b), costs(b, 10 * b, 1000 * b)));
      records.push(result(id, 'beam', b, 0.3 + 0.1 * Math.log2(b), costs(b, 10 * b, 2000 * b)));
    }
  }
  return records;
}

describe('summarizeSweep', () => {
  it('reports curves, the compute-optimal choice and its savings in every unit', () => {
    const summary = summarizeSweep(syntheticRecords(), {
      settings,
      seed: 1,
      bootstrapResamples: 100,
    });
    expect(summary.budgets).toEqual(budgets);
    expect(summary.baselineSettingId).toBe('bon');
    const overall = summary.overall;
    expect(overall.problemIds).toHaveLength(50);
    const bon = overall.curves.bon ?? [];
    expect(bon.map((p) => p.budget)).toEqual(budgets);
    expect(bon[3]?.accuracy.mean).toBeCloseTo(0.4, 12);
    expect(bon[3]?.cost).toEqual({ generations: 8, tokens: 80, flops: 8000 });
    // Beam is better everywhere, so it is chosen on both folds.
    for (const p of overall.computeOptimal) {
      expect(p.chosen).toEqual(['beam', 'beam']);
      expect(p.accuracy).toBeCloseTo(0.3 + 0.1 * Math.log2(p.budget), 12);
      expect(p.problems).toBe(50);
    }
    const savings = overall.savings;
    expect(savings).not.toBeNull();
    if (!savings) return;
    savings.generations.forEach((s, i) => {
      const b = budgets[i] as number;
      if (4 * b <= 64) expect(s.savings).toBeCloseTo(4, 9);
      else expect(s.savings).toBeNull();
    });
    savings.tokens.forEach((s, i) => {
      if (4 * (budgets[i] as number) <= 64) expect(s.savings).toBeCloseTo(4, 9);
    });
    // Twice the FLOPs per generation halves the saving in FLOPs.
    savings.flops.forEach((s, i) => {
      if (4 * (budgets[i] as number) <= 64) expect(s.savings).toBeCloseTo(2, 9);
    });
  });

  it('bins by pass@1 and by mean score, five equal quantile bins, easiest first', () => {
    const summary = summarizeSweep(syntheticRecords(), { settings, bootstrapResamples: 50 });
    expect(summary.oracle.bins.map((b) => b.problemIds.length)).toEqual([10, 10, 10, 10, 10]);
    expect(summary.oracle.bins.map((b) => b.bin)).toEqual([1, 2, 3, 4, 5]);
    const passAt1 = (id: string) =>
      summary.problems.find((p) => p.problemId === id)?.passAt1 ?? NaN;
    for (let b = 1; b < 5; b++) {
      const easier = Math.min(...(summary.oracle.bins[b - 1]?.problemIds.map(passAt1) ?? []));
      const harder = Math.max(...(summary.oracle.bins[b]?.problemIds.map(passAt1) ?? []));
      expect(easier).toBeGreaterThanOrEqual(harder);
    }
    // This verifier ranks problems exactly as pass@1 does, so predicted bins equal oracle bins.
    expect(summary.predicted?.bins.map((b) => b.problemIds)).toEqual(
      summary.oracle.bins.map((b) => b.problemIds),
    );
    for (const p of summary.problems) expect(p.predictedBin).toBe(p.oracleBin);
    // No verifier scores: no predicted bins.
    const unscored = summarizeSweep(syntheticRecords(false), { settings, bootstrapResamples: 50 });
    expect(unscored.predicted).toBeNull();
    expect(unscored.problems.every((p) => p.predictedBin === null && p.oracleBin !== null)).toBe(
      true,
    );
  });

  it('picks a different setting per bin when the better one depends on difficulty', () => {
    // Beam helps on hard problems (pass@1 < 0.5) and hurts on easy ones.
    const records: SweepRecord[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `p${i}`;
      const right = i % 8;
      records.push(pool(id, right));
      for (const b of [1, 2, 4]) {
        records.push(result(id, 'bon', b, 0.5, costs(b, b, b)));
        records.push(result(id, 'beam', b, right < 4 ? 0.8 : 0.2, costs(b, b, b)));
      }
    }
    const summary = summarizeSweep(records, { settings, bins: 2, bootstrapResamples: 50 });
    const [easy, hard] = summary.oracle.bins;
    for (const p of easy?.computeOptimal ?? []) expect(p.chosen).toEqual(['bon', 'bon']);
    for (const p of hard?.computeOptimal ?? []) expect(p.chosen).toEqual(['beam', 'beam']);
    expect(hard?.computeOptimal[0]?.accuracy).toBeCloseTo(0.8, 12);
  });

  it('leaves out settings not swept yet and problems missing a candidate', () => {
    const records = syntheticRecords().filter(
      (r) =>
        !(
          r.kind === 'result' &&
          r.settingId === 'beam' &&
          (r.budget === 64 || r.problemId === 'p3')
        ),
    );
    const summary = summarizeSweep(records, { settings, bootstrapResamples: 50 });
    const at = (b: number) => summary.overall.computeOptimal.find((p) => p.budget === b);
    expect(at(64)?.chosen).toEqual(['bon', 'bon']);
    expect(at(64)?.problems).toBe(50);
    expect(at(8)?.problems).toBe(49);
    expect(summary.overall.curves.beam?.find((p) => p.budget === 8)?.problems).toBe(49);
  });

  it('is plain JSON and exports to CSV', () => {
    const summary = summarizeSweep(syntheticRecords(), { settings, bootstrapResamples: 50 });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    const csv = sweepSummaryToCsv(summary).trim().split('\n');
    expect(csv[0]).toBe(
      'binning,bin,series,budget,problems,accuracy,accuracy_low,accuracy_high,cost_generations,cost_tokens,cost_flops,chosen,savings_generations,savings_tokens,savings_flops',
    );
    // (all + 5 oracle + 5 predicted) x (2 settings + compute-optimal) x 7 budgets.
    expect(csv).toHaveLength(1 + 11 * 3 * 7);
    expect(csv).toContain('all,,compute-optimal,1,50,0.3,,,1,10,2000,beam / beam,4,4,2');
    expect(() => summarizeSweep([], { settings, baselineSettingId: 'nope' })).toThrow(/baseline/);
  });

  it('summarises a sweep run end to end', async () => {
    const problems = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, p: (i + 0.5) / 12 }));
    const records: SweepRecord[] = [];
    const sweep = runSweep({
      problems,
      budgets: [1, 2, 4],
      settings: [
        ...settings.slice(0, 1),
        { kind: 'pool', id: 'majority', label: 'Majority vote', selection: 'majority' },
      ],
      seed: 3,
      resamples: 40,
      backend: {
        samplePool: async (problem, nMax, seed) => {
          const rng = new Rng(seed);
          return Array.from({ length: nMax }, () => {
            const correct = rng.next() < problem.p;
            return {
              answer: correct ? '1' : '0',
              score: rng.next(),
              correct,
              costs: costs(1, 7, 70),
            };
          });
        },
        runSearch: () => Promise.reject(new Error('no search settings in this sweep')),
      },
    });
    for await (const e of sweep) if (e.type === 'record') records.push(e.record);
    const summary = summarizeSweep(records, {
      settings: [
        ...settings.slice(0, 1),
        { kind: 'pool', id: 'majority', label: 'Majority', selection: 'majority' },
      ],
      bootstrapResamples: 100,
    });
    expect(summary.oracle.bins).toHaveLength(5);
    expect(summary.overall.curves.bon?.map((p) => p.budget)).toEqual([1, 2, 4]);
    for (const p of summary.overall.curves.bon ?? []) {
      expect(p.accuracy.low).toBeLessThanOrEqual(p.accuracy.mean);
      expect(p.accuracy.high).toBeGreaterThanOrEqual(p.accuracy.mean);
      expect(p.cost.tokens).toBeCloseTo(7 * p.budget, 9);
    }
    // Easier oracle bins do better at budget 1.
    const acc1 = summary.oracle.bins.map((b) => b.curves.bon?.[0]?.accuracy.mean ?? NaN);
    expect(acc1[0]).toBeGreaterThan(acc1[4] as number);
  });
});
