import { describe, it, expect } from 'vitest';
import { ScriptedModel, SCRIPTED_BACKEND_LABEL } from './scriptedModel';
import { constantScript, noisyArithSolver, parseArithQuestion } from './arithScripts';
import {
  applyOp,
  arithTask,
  canonicalSolution,
  checkArithSteps,
  makeArithProblem,
  type ArithData,
} from '../../tasks/arith';
import type { GenerateRequest } from '../types';

const base: GenerateRequest = { prompts: ['p'], maxTokens: 100, temperature: 1, topP: 1, seed: 3 };

describe('ScriptedModel', () => {
  it('is labelled as a scripted test backend, not as a model', () => {
    const m = new ScriptedModel({ script: constantScript('x') });
    expect(m.label).toBe(SCRIPTED_BACKEND_LABEL);
    expect(m.label.toLowerCase()).not.toMatch(/^model$|the model/);
  });

  it('cuts after the first stop string (kept in the text), counts 1 token per character', async () => {
    const m = new ScriptedModel({ script: constantScript('ab\ncd\nef') });
    const [c] = await m.generate({ ...base, prompts: ['hello'], stop: ['\n'] });
    expect(c).toEqual({ text: 'ab\n', finishReason: 'stop', promptTokens: 5, completionTokens: 3 });
    // The earliest of several stops wins.
    const [d] = await m.generate({ ...base, stop: ['e', 'c'] });
    expect(d?.text).toBe('ab\nc');
  });

  it('reports length at maxTokens and eos at the end of the script', async () => {
    const m = new ScriptedModel({ script: constantScript('abcdef') });
    const [l] = await m.generate({ ...base, maxTokens: 4 });
    expect(l).toMatchObject({ text: 'abcd', finishReason: 'length', completionTokens: 4 });
    const [e] = await m.generate({ ...base, maxTokens: 6 });
    expect(e).toMatchObject({ text: 'abcdef', finishReason: 'eos', completionTokens: 6 });
    // A stop that would end after the cap loses to the cap.
    const [s] = await m.generate({ ...base, maxTokens: 3, stop: ['e'] });
    expect(s?.finishReason).toBe('length');
  });

  it('is deterministic in (seed, index); greedy depends on the prompt only', async () => {
    const m = new ScriptedModel({ script: (_p, rng) => String(rng.next()) });
    const req = { ...base, prompts: ['q', 'q', 'q'] };
    const a = await m.generate(req);
    const b = await m.generate(req);
    expect(a).toEqual(b);
    expect(new Set(a.map((c) => c.text)).size).toBe(3);
    const other = await m.generate({ ...req, seed: 4 });
    expect(other[0]?.text).not.toBe(a[0]?.text);
    const g1 = await m.generate({ ...req, temperature: 0 });
    const g2 = await m.generate({ ...req, temperature: 0, seed: 99 });
    expect(g1).toEqual(g2);
    expect(new Set(g1.map((c) => c.text)).size).toBe(1);
  });

  it('enforces its capabilities so callers that ignore them fail', async () => {
    const m = new ScriptedModel({
      script: constantScript('x'),
      capabilities: { maxBatch: 2, maxStopStrings: 1 },
    });
    await expect(m.generate({ ...base, prompts: ['a', 'b', 'c'] })).rejects.toThrow(/maxBatch/);
    await expect(m.generate({ ...base, stop: ['a', 'b'] })).rejects.toThrow(/maxStopStrings/);
  });

  it('honours an AbortSignal: rejects, or returns aborted completions', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = new ScriptedModel({ script: constantScript('x') });
    await expect(r.generate({ ...base, signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const s = new ScriptedModel({ script: constantScript('x'), abortMode: 'return' });
    const out = await s.generate({ ...base, prompts: ['a', 'b'], signal: ac.signal });
    expect(out.map((c) => c.finishReason)).toEqual(['aborted', 'aborted']);
    expect(out.every((c) => c.completionTokens === 0)).toBe(true);
  });

  it('gives log-probabilities only when asked and capable', async () => {
    const m = new ScriptedModel({
      script: constantScript('abc'),
      capabilities: { logprobs: true },
    });
    const [c] = await m.generate({ ...base, logprobs: true });
    expect(c?.tokenLogprobs).toHaveLength(3);
    expect(c?.tokenLogprobs?.every((x) => x <= 0)).toBe(true);
    const [d] = await m.generate(base);
    expect(d?.tokenLogprobs).toBeUndefined();
  });
});

describe('noisyArithSolver', () => {
  const problem = makeArithProblem(4, 21);
  const data = problem.data as ArithData;
  const prompt = arithTask.formatPrompt(problem);
  const canonical = canonicalSolution(data);

  it('parses the question line', () => {
    expect(parseArithQuestion('Q:37,+45,*2,-13')).toEqual({
      start: 37,
      ops: [
        { op: '+', operand: 45 },
        { op: '*', operand: 2 },
        { op: '-', operand: 13 },
      ],
    });
  });

  it('writes the canonical solution at error rate 0', async () => {
    const m = new ScriptedModel({ script: noisyArithSolver({ stepErrorRate: 0 }) });
    const out = await m.generate({ ...base, prompts: [prompt, prompt], maxTokens: 500 });
    for (const c of out) expect(c.text).toBe(canonical);
  });

  it('makes every operation step wrong at rate 1, and the answer follows the last stated value', async () => {
    const m = new ScriptedModel({ script: noisyArithSolver({ stepErrorRate: 1 }) });
    const [c] = await m.generate({ ...base, maxTokens: 500, prompts: [prompt] });
    const steps = arithTask.splitSteps(c?.text ?? '');
    expect(steps).toHaveLength(data.ops.length + 1);
    const ok = checkArithSteps(data, steps);
    // Each operation line states a wrong result of its own inputs.
    expect(ok.slice(0, -1).every((x) => !x)).toBe(true);
    expect(ok[ok.length - 1]).toBe(true);
    expect(arithTask.isCorrect(problem, arithTask.extractAnswer(c?.text ?? ''))).toBe(false);
  });

  it('mistakes come at roughly the configured rate', async () => {
    const m = new ScriptedModel({
      script: noisyArithSolver({ stepErrorRate: 0.2 }),
      capabilities: { maxBatch: 1000 },
    });
    const prompts = Array.from({ length: 400 }, () => prompt);
    const out = await m.generate({ ...base, prompts, maxTokens: 500 });
    let wrong = 0;
    let total = 0;
    for (const c of out) {
      const ok = checkArithSteps(data, arithTask.splitSteps(c.text)).slice(0, -1);
      total += ok.length;
      wrong += ok.filter((x) => !x).length;
    }
    expect(wrong / total).toBeGreaterThan(0.15);
    expect(wrong / total).toBeLessThan(0.25);
  });

  it('continues a partial solution from its last stated value, one step per stop', async () => {
    const m = new ScriptedModel({ script: noisyArithSolver({ stepErrorRate: 0 }) });
    const first = arithTask.splitSteps(canonical)[0] ?? '';
    const wrongFirst = first.replace(/=(\d+)$/, (_, v: string) => `=${Number(v) + 1}`);
    const [c] = await m.generate({ ...base, prompts: [`${prompt}${wrongFirst}\n`], stop: ['\n'] });
    const o = data.ops[1];
    if (!o) throw new Error('level 4 has more than one operation');
    const v = Number(/=(\d+)$/.exec(wrongFirst)?.[1]);
    expect(c?.text).toBe(`${v}${o.op}${o.operand}=${applyOp(v, o.op, o.operand)}\n`);
  });

  it('after earlier attempts writes a fresh attempt; revisions can lower the error rate', async () => {
    const m = new ScriptedModel({
      script: noisyArithSolver({ stepErrorRate: 1, revisionErrorFactor: 0 }),
    });
    const revision = arithTask.formatPrompt(problem, ['1+1=3\nA:3\n']);
    const [c] = await m.generate({ ...base, prompts: [revision], maxTokens: 500 });
    expect(c?.text).toBe(canonical);
  });
});
