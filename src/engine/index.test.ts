import { describe, it, expect } from 'vitest';
import * as engine from './index';

describe('engine barrel', () => {
  it('exports the public API and not the scripted test backend', () => {
    for (const name of [
      'runStrategy',
      'runToCompletion',
      'bestOfN',
      'sequentialRevisions',
      'beamSearch',
      'lookaheadSearch',
      'dvts',
      'bestOfNWeighted',
      'majorityVote',
      'naiveBestOfN',
      'aggregateStepScores',
      'zeroCosts',
      'addCosts',
      'estimateFlops',
      'oracleVerifier',
      'deriveSeed',
      'Rng',
      'TRACE_VERSION',
    ]) {
      expect(engine).toHaveProperty(name);
    }
    expect(engine).not.toHaveProperty('ScriptedModel');
    expect(engine).not.toHaveProperty('noisyArithSolver');
  });
});
