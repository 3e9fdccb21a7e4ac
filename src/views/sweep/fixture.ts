/**
 * A small sweep summary for tests and previews: numbers chosen by hand so savings are known
 * (best-of-N reaches 80% at N=64; the compute-optimal curve reaches it at N=16: 4x less).
 */
import type { SweepPlotSummary, SweepPoint } from './types';

/** A point with tokens = 50 x budget and FLOPs = 1e9 x tokens. */
export function point(
  budget: number,
  accuracy: number,
  halfWidth = 0.05,
  setting?: string,
): SweepPoint {
  const p: SweepPoint = {
    budget,
    cost: { generations: budget, tokens: budget * 50, flops: budget * 50 * 1e9 },
    accuracy,
    lo: Math.max(0, accuracy - halfWidth),
    hi: Math.min(1, accuracy + halfWidth),
  };
  if (setting !== undefined) p.setting = setting;
  return p;
}

export function sweepFixture(): SweepPlotSummary {
  const budgets = [1, 2, 4, 8, 16, 32, 64];
  const bon = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const beam = [0.25, 0.4, 0.55, 0.7, 0.8, 0.82, 0.83];
  return {
    title: 'Fixture sweep',
    binKind: 'oracle',
    bins: [
      {
        id: 'easy',
        label: 'Bin 1, "easiest"',
        problems: 40,
        series: [
          {
            id: 'bon',
            label: 'Best-of-N weighted',
            strategy: 'best-of-n',
            points: budgets.map((b, i) => point(b, bon[i] as number)),
          },
          {
            id: 'beam4',
            label: 'Beam search, M=4',
            strategy: 'beam',
            points: budgets.map((b, i) => point(b, beam[i] as number)),
          },
        ],
        computeOptimal: budgets.map((b, i) =>
          point(b, Math.max(bon[i] as number, beam[i] as number), 0.05, 'beam M=4'),
        ),
      },
      {
        id: 'hard',
        label: 'Bin 2',
        problems: 40,
        series: [
          {
            id: 'bon',
            label: 'Best-of-N weighted',
            strategy: 'best-of-n',
            points: budgets.map((b) => point(b, 0.1)),
          },
        ],
      },
    ],
  };
}
