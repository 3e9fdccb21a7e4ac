import { describe, expect, it } from 'vitest';
import {
  ScriptedModel,
  noisyArithSolver,
  noisyOracleScores,
  scriptedVerifier,
} from '../engine/testing';
import { arithTask } from '../tasks/arith';
import { asSweepPlotSummary } from '../views/sweep/types';
import type { SweepRecord, SweepRequest } from '../store/sweepTypes';
import { createWorkerHandler } from './worker/handler';
import type { FromWorker } from './worker/protocol';
import { summarizeForPlot } from './sweepSummary';

const request: SweepRequest = {
  taskId: 'arith',
  levels: [1, 2],
  problemsPerLevel: 3,
  problemSeed: 2,
  nMax: 4,
  strategies: ['best-of-n', 'beam', 'revisions'],
  verifier: 'prm',
  seed: 4,
};

async function sweepRecords(shard?: { index: number; count: number }): Promise<SweepRecord[]> {
  const messages: FromWorker[] = [];
  const handler = createWorkerHandler({
    post: (m) => messages.push(m),
    loadModels: async () => ({
      generator: new ScriptedModel({ script: noisyArithSolver({ stepErrorRate: 0.35 }) }),
      prm: scriptedVerifier({ score: noisyOracleScores(arithTask, { noise: 0.3, seed: 2 }) }),
      backend: 'cpu',
      notice: null,
      dispose() {},
    }),
    connectWebLLM: () => {
      throw new Error('no WebLLM in this test');
    },
  });
  handler.handle({ type: 'load-models', baseUrl: 'u', backend: 'cpu', dataBaseUrl: 'http://x/' });
  handler.handle({
    type: 'start-sweep',
    sweepId: 's',
    request,
    completed: [],
    ...(shard ? { shard } : {}),
  });
  await handler.idle();
  return messages.flatMap((m) => (m.type === 'sweep-record' ? [m.record] : []));
}

describe('summarizeForPlot', () => {
  it('turns sweep records into a summary the plot accepts, with one curve per setting', async () => {
    const records = await sweepRecords();
    const summary = summarizeForPlot(request, records, 'overall');
    expect(summary).not.toBeNull();
    expect(asSweepPlotSummary(summary)).not.toBeNull();
    const [all] = summary!.bins;
    expect(all?.problems).toBe(6);
    expect(all?.series.map((s) => s.id)).toEqual([
      'bon-weighted',
      'bon-majority',
      'revisions',
      'beam',
    ]);
    const bon = all!.series[0]!;
    expect(bon.points.map((p) => p.budget)).toEqual([1, 2, 4]);
    for (const p of bon.points) {
      expect(p.lo).toBeLessThanOrEqual(p.accuracy);
      expect(p.hi).toBeGreaterThanOrEqual(p.accuracy);
    }
    // Beam search with M=4 only runs at budget 4.
    expect(all!.series.find((s) => s.id === 'beam')?.points.map((p) => p.budget)).toEqual([4]);
    // Compute grows with the budget in every unit.
    expect(bon.points[2]!.cost.tokens).toBeGreaterThan(bon.points[0]!.cost.tokens);
    expect(all?.computeOptimal?.length).toBeGreaterThan(0);
  });

  it('draws one panel per oracle difficulty bin', async () => {
    const summary = summarizeForPlot(request, await sweepRecords(), 'oracle');
    expect(summary?.binKind).toBe('oracle');
    expect(summary!.bins.length).toBe(5);
    expect(summary!.bins.reduce((n, b) => n + (b.problems ?? 0), 0)).toBe(6);
    // Each label names its pass@1 range; a bin whose problems all share one value names it once.
    for (const b of summary!.bins) {
      const m = /^Bin \d · pass@1 ([\d.]+)(?:–([\d.]+))?$/.exec(b.label);
      expect(m, b.label).not.toBeNull();
      if (m![2] !== undefined) expect(m![2]).not.toBe(m![1]);
    }
  });

  it('a sweep split over workers gives the records and the summary of one worker', async () => {
    const whole = await sweepRecords();
    const parts = [
      await sweepRecords({ index: 0, count: 2 }),
      await sweepRecords({ index: 1, count: 2 }),
    ];
    // Each part has every unit of its problems, and only those: problems 0, 2, 4 and 1, 3, 5.
    const problemsOf = (rs: SweepRecord[]) => [...new Set(rs.map((r) => r.problemId))];
    const order = problemsOf(whole);
    expect(problemsOf(parts[0]!)).toEqual([order[0], order[2], order[4]]);
    expect(problemsOf(parts[1]!)).toEqual([order[1], order[3], order[5]]);
    const byKey = (rs: SweepRecord[]) =>
      new Map(
        rs.map((r) => [
          r.kind === 'pool' ? `${r.problemId}/pool` : `${r.problemId}/${r.settingId}/${r.budget}`,
          r,
        ]),
      );
    expect(byKey([...parts[1]!, ...parts[0]!])).toEqual(byKey(whole));
    // The second worker's records arrive first: the summary reads them in the plan's order.
    for (const binning of ['overall', 'oracle'] as const) {
      expect(summarizeForPlot(request, [...parts[1]!, ...parts[0]!], binning)).toEqual(
        summarizeForPlot(request, whole, binning),
      );
    }
  });

  it('has nothing to plot before the first result', () => {
    expect(summarizeForPlot(request, [])).toBeNull();
  });
});
