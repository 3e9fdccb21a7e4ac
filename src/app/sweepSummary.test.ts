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

async function sweepRecords(): Promise<SweepRecord[]> {
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
  handler.handle({ type: 'start-sweep', sweepId: 's', request, completed: [] });
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

  it('has nothing to plot before the first result', () => {
    expect(summarizeForPlot(request, [])).toBeNull();
  });
});
