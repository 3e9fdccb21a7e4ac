/**
 * Compute accounting. Every run reports its spend in every unit (generations, tokens, FLOPs), so
 * runs compare on any axis. Strategies emit one `cost` event per model or verifier call; the run's
 * total is the sum of those deltas.
 */
import type { Costs } from './types';

/** Costs of nothing. */
export function zeroCosts(): Costs {
  return { generations: 0, generatedTokens: 0, promptTokens: 0, verifierTokens: 0, flops: 0 };
}

/** Field-wise sum of two cost records. */
export function addCosts(a: Costs, b: Costs): Costs {
  return {
    generations: a.generations + b.generations,
    generatedTokens: a.generatedTokens + b.generatedTokens,
    promptTokens: a.promptTokens + b.promptTokens,
    verifierTokens: a.verifierTokens + b.verifierTokens,
    flops: a.flops + b.flops,
  };
}

/** Sum of any number of cost records. */
export function sumCosts(costs: Iterable<Costs>): Costs {
  let total = zeroCosts();
  for (const c of costs) total = addCosts(total, c);
  return total;
}

export interface FlopsInput {
  /** Generator parameters. */
  modelParams: number;
  promptTokens: number;
  generatedTokens: number;
  /** Verifier parameters (0 for the oracle or no verifier). */
  verifierParams: number;
  /** Tokens the verifier read. */
  verifierTokens: number;
}

/**
 * Estimated FLOPs of inference: 2 x parameters x tokens, for the generator (prompt and generated
 * tokens both pass through the network) plus the verifier. Attention FLOPs are ignored, as in the
 * usual 2N-per-token estimate.
 */
export function estimateFlops(x: FlopsInput): number {
  return (
    2 * x.modelParams * (x.promptTokens + x.generatedTokens) +
    2 * x.verifierParams * x.verifierTokens
  );
}

export interface CostDeltaInput {
  /** Paper-unit generations this call accounts for (see the strategy's docs). */
  generations?: number;
  promptTokens?: number;
  generatedTokens?: number;
  verifierTokens?: number;
  modelParams: number;
  verifierParams: number;
}

/** A cost record for one call, FLOPs included. */
export function costDelta(x: CostDeltaInput): Costs {
  const promptTokens = x.promptTokens ?? 0;
  const generatedTokens = x.generatedTokens ?? 0;
  const verifierTokens = x.verifierTokens ?? 0;
  return {
    generations: x.generations ?? 0,
    generatedTokens,
    promptTokens,
    verifierTokens,
    flops: estimateFlops({
      modelParams: x.modelParams,
      promptTokens,
      generatedTokens,
      verifierParams: x.verifierParams,
      verifierTokens,
    }),
  };
}
