/** Compute units a sweep reports in, and small helpers on cost records. */
import type { Costs } from '../types';

/**
 * - `generations`: the paper's unit (N; N x (k+1) for lookahead);
 * - `tokens`: generated tokens (prompt and verifier tokens are counted in `flops`);
 * - `flops`: 2 x parameters x tokens, generator and verifier.
 */
export type ComputeUnit = 'generations' | 'tokens' | 'flops';

export const COMPUTE_UNITS: readonly ComputeUnit[] = ['generations', 'tokens', 'flops'];

/** A cost record's value in one compute unit. */
export function costInUnit(costs: Costs, unit: ComputeUnit): number {
  switch (unit) {
    case 'generations':
      return costs.generations;
    case 'tokens':
      return costs.generatedTokens;
    case 'flops':
      return costs.flops;
  }
}

/** Every field of a cost record multiplied by `factor`. */
export function scaleCosts(costs: Costs, factor: number): Costs {
  return {
    generations: costs.generations * factor,
    generatedTokens: costs.generatedTokens * factor,
    promptTokens: costs.promptTokens * factor,
    verifierTokens: costs.verifierTokens * factor,
    flops: costs.flops * factor,
  };
}

/** Field-wise mean of cost records (zeros for an empty list). */
export function meanCosts(costs: readonly Costs[]): Costs {
  const total: Costs = {
    generations: 0,
    generatedTokens: 0,
    promptTokens: 0,
    verifierTokens: 0,
    flops: 0,
  };
  for (const c of costs) {
    total.generations += c.generations;
    total.generatedTokens += c.generatedTokens;
    total.promptTokens += c.promptTokens;
    total.verifierTokens += c.verifierTokens;
    total.flops += c.flops;
  }
  return costs.length === 0 ? total : scaleCosts(total, 1 / costs.length);
}

/** A cost record in every compute unit, for plots and CSV. */
export function costsByUnit(costs: Costs): Record<ComputeUnit, number> {
  return {
    generations: costInUnit(costs, 'generations'),
    tokens: costInUnit(costs, 'tokens'),
    flops: costInUnit(costs, 'flops'),
  };
}
