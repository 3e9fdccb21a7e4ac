import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../../engine/types';
import {
  JUDGE_SYSTEM_PROMPT,
  judgeScoreFromTopLogprobs,
  judgeUserMessage,
  WebLLMJudge,
} from './judge';
import type { WebLLMSpeedReport } from './model';
import { connectToFakeHost, type HostConnection } from './testing/channel';
import { FakeWebLLMEngine, fakePromptTokens, type ScriptedReply } from './testing/fakeEngine';

const INFO = {
  modelId: 'Qwen2.5-Math-1.5B-Instruct-q4f32_1-MLC',
  label: 'Qwen2.5-Math 1.5B Instruct (q4f32_1)',
  template: 'qwen2.5-math' as const,
  parameterCount: 1.54e9,
  contextWindow: 4096,
};

const PROBLEM: Problem = {
  id: 'gsm8k-0',
  taskId: 'gsm8k',
  level: 1,
  question: 'Janet has 3 eggs and buys 4 more. How many eggs?',
  answer: '7',
};

/** The judge's belief per step text: "7" steps look right, "8" steps look wrong. */
function judgeScript(request: { prompt: string }): ScriptedReply {
  const wrong = /Is step (\d+) correct/.exec(request.prompt);
  const k = Number(wrong?.[1] ?? 1);
  const steps = request.prompt.split(/Step \d+:\n/).slice(1);
  const last = steps[k - 1] ?? '';
  const right = !last.includes('8');
  return {
    tokens: [right ? 'Yes' : 'No'],
    top: [
      right
        ? [
            { token: 'Yes', logprob: Math.log(0.6) },
            { token: ' Yes', logprob: Math.log(0.1) },
            { token: 'No', logprob: Math.log(0.2) },
            { token: 'Maybe', logprob: Math.log(0.05) },
            { token: 'no', logprob: Math.log(0.05) },
          ]
        : [
            { token: 'No', logprob: Math.log(0.7) },
            { token: 'Yes', logprob: Math.log(0.1) },
            { token: 'The', logprob: Math.log(0.1) },
          ],
    ],
  };
}

let connection: HostConnection | null = null;
afterEach(() => {
  connection?.close();
  connection = null;
});

async function judgeOn(engine: FakeWebLLMEngine, onSpeed?: (r: WebLLMSpeedReport) => void) {
  connection = connectToFakeHost(engine);
  await connection.client.load(INFO.modelId);
  return new WebLLMJudge({ api: connection.client, info: INFO, ...(onSpeed ? { onSpeed } : {}) });
}

describe('judgeScoreFromTopLogprobs', () => {
  it('is P(yes) / (P(yes) + P(no)), summing every spelling', () => {
    const r = judgeScoreFromTopLogprobs([
      { token: 'Yes', logprob: Math.log(0.6) },
      { token: ' yes', logprob: Math.log(0.1) },
      { token: 'No', logprob: Math.log(0.2) },
      { token: 'NO.', logprob: Math.log(0.05) },
      { token: 'Maybe', logprob: Math.log(0.05) },
    ]);
    expect(r.pYes).toBeCloseTo(0.7);
    expect(r.pNo).toBeCloseTo(0.25);
    expect(r.score).toBeCloseTo(0.7 / 0.95);
  });

  it('is 0.5 when neither answer is among the alternatives, and 1 or 0 when only one is', () => {
    expect(judgeScoreFromTopLogprobs([{ token: 'Hmm', logprob: -0.1 }]).score).toBe(0.5);
    expect(judgeScoreFromTopLogprobs([{ token: 'Yes', logprob: -2 }]).score).toBe(1);
    expect(judgeScoreFromTopLogprobs([{ token: 'No', logprob: -2 }]).score).toBe(0);
    // "Nope" and "Yesterday" are other words, not the answer.
    expect(
      judgeScoreFromTopLogprobs([
        { token: 'Yesterday', logprob: -1 },
        { token: 'Nope', logprob: -1 },
      ]).score,
    ).toBe(0.5);
  });
});

describe('WebLLMJudge', () => {
  it('is an LLM-as-judge verifier of the model', async () => {
    const judge = await judgeOn(new FakeWebLLMEngine({ script: judgeScript }));
    expect(judge.kind).toBe('judge');
    expect(judge.label).toMatch(/judge/);
    expect(judge.parameterCount).toBe(1.54e9);
  });

  it('asks about the latest step with temperature 1, no penalties and top_logprobs 5', async () => {
    const engine = new FakeWebLLMEngine({ script: judgeScript });
    const judge = await judgeOn(engine);
    await judge.scoreSteps([{ problem: PROBLEM, steps: ['3 + 4 = 7.'] }]);
    const sent = engine.requests[0];
    expect(sent).toMatchObject({
      max_tokens: 1,
      temperature: 1,
      top_p: 1,
      repetition_penalty: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    expect(sent?.prompt.startsWith(`<|im_start|>system\n${JUDGE_SYSTEM_PROMPT}<|im_end|>\n`)).toBe(
      true,
    );
    expect(sent?.prompt).toContain(judgeUserMessage(PROBLEM.question, ['3 + 4 = 7.']));
    expect(sent?.prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
  });

  it('scores every step from the top log-probabilities and counts the tokens read', async () => {
    const engine = new FakeWebLLMEngine({ script: judgeScript });
    const speeds: WebLLMSpeedReport[] = [];
    const judge = await judgeOn(engine, (s) => speeds.push(s));
    const [r] = await judge.scoreSteps([
      { problem: PROBLEM, steps: ['She starts with 3.', 'Then 3 + 4 = 8.', 'So \\boxed{8}.'] },
    ]);
    expect(r?.stepScores[0]).toBeCloseTo(0.7 / 0.95);
    expect(r?.stepScores[1]).toBeCloseTo(0.1 / 0.8);
    expect(r?.stepScores[2]).toBeCloseTo(0.1 / 0.8);
    const expectedTokens = engine.requests.reduce((n, q) => n + fakePromptTokens(q.prompt) + 1, 0);
    expect(r?.tokens).toBe(expectedTokens);
    expect(engine.requests.map((q) => /Is step (\d+) correct/.exec(q.prompt)?.[1])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(speeds.map((s) => s.role)).toEqual(['judge', 'judge', 'judge']);
  });

  it('re-scoring a path pays only for its new step (prefix cache)', async () => {
    const engine = new FakeWebLLMEngine({ script: judgeScript });
    const judge = await judgeOn(engine);
    const [first] = await judge.scoreSteps([{ problem: PROBLEM, steps: ['She starts with 3.'] }]);
    const [second] = await judge.scoreSteps([
      { problem: PROBLEM, steps: ['She starts with 3.', '3 + 4 = 7.'] },
    ]);
    expect(engine.requests).toHaveLength(2);
    expect(second?.stepScores[0]).toBe(first?.stepScores[0]);
    expect(second?.tokens).toBe(fakePromptTokens(engine.requests[1]?.prompt ?? '') + 1);
  });

  it('stops with an AbortError when the run is cancelled', async () => {
    const engine = new FakeWebLLMEngine({ script: judgeScript });
    const judge = await judgeOn(engine);
    const controller = new AbortController();
    controller.abort();
    await expect(
      judge.scoreSteps([{ problem: PROBLEM, steps: ['a'] }], controller.signal),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(engine.requests).toHaveLength(0);
  });

  it('fails clearly when WebLLM returns no log-probabilities', async () => {
    const judge = new WebLLMJudge({
      api: {
        complete: async () => ({
          id: 'x',
          object: 'text_completion',
          created: 0,
          model: INFO.modelId,
          choices: [{ finish_reason: 'length', index: 0, logprobs: null, text: 'Yes' }],
        }),
      },
      info: INFO,
    });
    await expect(judge.scoreSteps([{ problem: PROBLEM, steps: ['a'] }])).rejects.toThrow(
      /no log-probabilities/,
    );
  });
});
