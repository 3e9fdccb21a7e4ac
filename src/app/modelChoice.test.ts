import { describe, expect, it } from 'vitest';
import type { ActiveModel } from '../store/slices/modelSlice';
import { activeModelKey, taskModelMismatch, verifierOptions } from './modelChoice';
import { TASKS } from './tasks';

const webllm: ActiveModel = {
  kind: 'webllm',
  info: {
    modelId: 'SmolLM2-360M-Instruct-q4f16_1-MLC',
    label: 'SmolLM2 360M Instruct (q4f16_1)',
    template: 'chatml',
    parameterCount: 3.62e8,
    contextWindow: 1024,
  },
};
const tinymath: ActiveModel = { kind: 'tinymath' };

describe('which model runs which task', () => {
  it('TinyMath runs arithmetic only; a WebLLM model runs the benchmarks only', () => {
    expect(taskModelMismatch('arith', tinymath)).toBeNull();
    expect(taskModelMismatch('gsm8k', webllm)).toBeNull();
    expect(taskModelMismatch('math500', webllm)).toBeNull();
    expect(taskModelMismatch('gsm8k', tinymath)).toMatch(/GSM8K needs a real chat model/);
    expect(taskModelMismatch('math500', tinymath)).toMatch(/Real models \(WebLLM\)/);
    expect(taskModelMismatch('arith', webllm)).toMatch(/SmolLM2.*TinyMath's/);
    expect(taskModelMismatch('nope', tinymath)).toMatch(/Unknown task/);
    // Every task the app offers runs on one of the two families.
    for (const id of Object.keys(TASKS)) {
      expect([taskModelMismatch(id, tinymath), taskModelMismatch(id, webllm)]).toContain(null);
    }
  });

  it('names the learned verifier and the oracle for what they are with each model', () => {
    const label = (m: ActiveModel, task: string, v: string) =>
      verifierOptions(m, task).find((o) => o.value === v)?.label;
    expect(label(tinymath, 'arith', 'prm')).toBe('Learned PRM (TinyMath)');
    expect(label(tinymath, 'arith', 'oracle')).toMatch(/step checker/);
    expect(label(webllm, 'gsm8k', 'prm')).toBe(
      'LLM-as-judge PRM (SmolLM2 360M Instruct (q4f16_1))',
    );
    expect(label(webllm, 'math500', 'oracle')).toMatch(/final answer.*upper bound/);
    expect(label(tinymath, 'gsm8k', 'prm')).toMatch(/needs a WebLLM model/);
  });

  it('gives each model its own run key, so switching models starts a new run', () => {
    expect(activeModelKey(tinymath)).not.toBe(activeModelKey(webllm));
    expect(activeModelKey(webllm)).toContain('SmolLM2');
  });
});
