import { afterEach, describe, expect, it } from 'vitest';
import { deriveSeed } from '../../engine/random';
import type { GenerateRequest } from '../../engine/types';
import { chatPrompt } from '../../tasks/answers/chatPrompt';
import { engineCompletionsApi } from './api';
import {
  estimateSequentialSeconds,
  resolveFinish,
  WebLLMModel,
  type WebLLMSpeedReport,
} from './model';
import { connectToFakeHost, type HostConnection } from './testing/channel';
import { FakeWebLLMEngine, type ScriptedReply } from './testing/fakeEngine';

const INFO = {
  modelId: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
  label: 'Qwen2.5 0.5B Instruct (q4f16_1)',
  template: 'qwen2.5' as const,
  parameterCount: 0.494e9,
  contextWindow: 4096,
};

const QUESTION = chatPrompt('Janet has 3 eggs and buys 4 more. How many eggs?');

/** A script that answers by prompt: two steps, then a boxed answer, token by token. */
function solutionScript(request: { prompt: string }): ScriptedReply {
  if (request.prompt.endsWith('3 + 4 = 7.\n\n')) return { tokens: ['So', ' \\boxed{7}', '.'] };
  return { tokens: ['She', ' has', ' 3 + 4', ' = 7', '.\n\n', 'So', ' \\boxed{7}', '.'] };
}

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    prompts: [QUESTION],
    maxTokens: 64,
    temperature: 0.8,
    topP: 0.95,
    seed: 11,
    ...overrides,
  };
}

let connection: HostConnection | null = null;
afterEach(() => {
  connection?.close();
  connection = null;
});

/** The model on a fake engine, across the worker protocol (MessageChannel) as in the app. */
async function modelOverWorker(
  engine: FakeWebLLMEngine,
  onSpeed?: (r: WebLLMSpeedReport) => void,
): Promise<WebLLMModel> {
  connection = connectToFakeHost(engine);
  await connection.client.load(INFO.modelId);
  return new WebLLMModel({ api: connection.client, info: INFO, ...(onSpeed ? { onSpeed } : {}) });
}

describe('WebLLMModel request', () => {
  it('renders the chat template and sends web-llm completion parameters', async () => {
    const engine = new FakeWebLLMEngine({ script: solutionScript });
    const model = await modelOverWorker(engine);
    await model.generate(request({ stop: ['\n\n'], logprobs: true }));
    const sent = engine.requests[0];
    expect(sent).toEqual({
      prompt:
        '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nJanet has 3 eggs and buys 4 more. How many eggs?<|im_end|>\n<|im_start|>assistant\n',
      max_tokens: 64,
      temperature: 0.8,
      top_p: 0.95,
      seed: deriveSeed(11, 0) % 2_147_483_647,
      stop: ['\n\n'],
      logprobs: true,
      top_logprobs: 1,
      repetition_penalty: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      stream: false,
      n: 1,
    });
  });

  it('declares WebLLM capabilities: no batching, 4 stop strings, 5 top log-probabilities', () => {
    const model = new WebLLMModel({ api: { complete: async () => null }, info: INFO });
    expect(model.capabilities).toEqual({
      batching: false,
      maxBatch: 1,
      logprobs: true,
      topLogprobs: 5,
      maxStopStrings: 4,
      contextLength: 4096,
    });
    expect(model.label).toContain('WebLLM');
    expect(model.parameterCount).toBe(0.494e9);
  });

  it('passes at most four stop strings and a valid top_p', async () => {
    const engine = new FakeWebLLMEngine({ script: () => ({ tokens: ['x'] }) });
    const model = await modelOverWorker(engine);
    await model.generate(request({ stop: ['a', 'b', '', 'c', 'd', 'e'], topP: 0 }));
    expect(engine.requests[0]?.stop).toEqual(['a', 'b', 'c', 'd']);
    expect(engine.requests[0]?.top_p).toBe(1);
  });
});

describe('WebLLMModel stop delimiter and finish reasons', () => {
  it('adds the step delimiter back when the stop string ended the step', async () => {
    const model = await modelOverWorker(new FakeWebLLMEngine({ script: solutionScript }));
    const [c] = await model.generate(request({ stop: ['\n\n'] }));
    expect(c).toMatchObject({ text: 'She has 3 + 4 = 7.\n\n', finishReason: 'stop' });
  });

  it('continues a partial assistant message and tells the end-of-turn token from a stop', async () => {
    const engine = new FakeWebLLMEngine({ script: solutionScript });
    const model = await modelOverWorker(engine);
    const [c] = await model.generate(
      request({ prompts: [`${QUESTION}She has 3 + 4 = 7.\n\n`], stop: ['\n\n'] }),
    );
    // WebLLM says "stop" here too; the last token is the end token, so it is 'eos', no delimiter.
    expect(c).toMatchObject({ text: 'So \\boxed{7}.', finishReason: 'eos' });
    expect(
      engine.requests[0]?.prompt.endsWith('<|im_start|>assistant\nShe has 3 + 4 = 7.\n\n'),
    ).toBe(true);
  });

  it('reads an end token that decodes to nothing as the end of turn as well', async () => {
    const model = await modelOverWorker(
      new FakeWebLLMEngine({ script: () => ({ tokens: ['Done', '.'] }), endToken: '' }),
    );
    const [c] = await model.generate(request({ stop: ['\n\n'] }));
    expect(c).toMatchObject({ text: 'Done.', finishReason: 'eos' });
  });

  it('finds a stop string split across two tokens and the text after it in the token is dropped', async () => {
    const model = await modelOverWorker(
      new FakeWebLLMEngine({ script: () => ({ tokens: ['A', '.\n', '\nB'] }) }),
    );
    const [c] = await model.generate(request({ stop: ['\n\n'] }));
    expect(c).toMatchObject({ text: 'A.\n\n', finishReason: 'stop' });
  });

  it('picks the stop string that matched when several are given', async () => {
    const model = await modelOverWorker(
      new FakeWebLLMEngine({ script: () => ({ tokens: ['x = 1', ';', ' y'] }) }),
    );
    const [c] = await model.generate(request({ stop: ['\n\n', ';'] }));
    expect(c).toMatchObject({ text: 'x = 1;', finishReason: 'stop' });
  });

  it('reports the token cap as length, and a whole solution ending normally as eos', async () => {
    const model = await modelOverWorker(new FakeWebLLMEngine({ script: solutionScript }));
    const [capped] = await model.generate(request({ maxTokens: 3 }));
    expect(capped).toMatchObject({
      text: 'She has 3 + 4',
      finishReason: 'length',
      completionTokens: 3,
    });
    const [whole] = await model.generate(request());
    expect(whole).toMatchObject({
      text: 'She has 3 + 4 = 7.\n\nSo \\boxed{7}.',
      finishReason: 'eos',
    });
  });

  it('takes token counts from usage, and log-probabilities only of text tokens', async () => {
    const model = await modelOverWorker(new FakeWebLLMEngine({ script: solutionScript }));
    const [c] = await model.generate(
      request({ prompts: [`${QUESTION}She has 3 + 4 = 7.\n\n`], stop: ['\n\n'], logprobs: true }),
    );
    // 3 text tokens + the end token: usage counts 4, the text has 3 log-probabilities.
    expect(c?.completionTokens).toBe(4);
    expect(c?.tokenLogprobs).toHaveLength(3);
    expect(c?.promptTokens).toBeGreaterThan(20);
  });
});

describe('WebLLMModel sequential n and speed', () => {
  it('runs n prompts one after another with seeds derived per index, in order', async () => {
    const engine = new FakeWebLLMEngine({ script: (r) => ({ tokens: [`#${r.seed}`] }) });
    const speeds: WebLLMSpeedReport[] = [];
    const model = await modelOverWorker(engine, (s) => speeds.push(s));
    const out = await model.generate(request({ prompts: [QUESTION, QUESTION, QUESTION], seed: 5 }));
    const seeds = [0, 1, 2].map((i) => deriveSeed(5, i) % 2_147_483_647);
    expect(engine.requests.map((r) => r.seed)).toEqual(seeds);
    expect(out.map((c) => c.text)).toEqual(seeds.map((s) => `#${s}`));
    expect(new Set(seeds).size).toBe(3);
    expect(speeds).toHaveLength(3);
    expect(speeds[0]).toMatchObject({
      role: 'generator',
      prefillTokensPerS: 800,
      decodeTokensPerS: 40,
    });
  });

  it('estimates the sequential cost from measured speeds', () => {
    expect(
      estimateSequentialSeconds({
        samples: 16,
        promptTokens: 200,
        completionTokens: 100,
        prefillTokensPerS: 400,
        decodeTokensPerS: 20,
      }),
    ).toBeCloseTo(16 * (0.5 + 5));
    expect(
      estimateSequentialSeconds({
        samples: 4,
        promptTokens: 1,
        completionTokens: 1,
        prefillTokensPerS: 0,
        decodeTokensPerS: 20,
      }),
    ).toBeNull();
  });
});

describe('WebLLMModel abort', () => {
  it('interrupts the running generation and skips the prompts after it', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: Array.from({ length: 200 }, () => 'x') }),
      msPerToken: 2,
    });
    const model = await modelOverWorker(engine);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const out = await model.generate(
      request({
        prompts: [QUESTION, QUESTION, QUESTION],
        maxTokens: 500,
        signal: controller.signal,
      }),
    );
    expect(out.map((c) => c.finishReason)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(engine.interrupts).toBe(1);
    expect(engine.requests).toHaveLength(1);
    // The interrupted call generated (and paid for) some tokens, far fewer than the cap.
    expect(out[0]?.completionTokens).toBeGreaterThan(0);
    expect(out[0]?.completionTokens).toBeLessThan(200);
  });

  it('sends nothing when the signal has already fired', async () => {
    const engine = new FakeWebLLMEngine({ script: solutionScript });
    const model = new WebLLMModel({ api: engineCompletionsApi(engine), info: INFO });
    await engine.reload(INFO.modelId);
    const out = await model.generate(
      request({ prompts: [QUESTION, QUESTION], signal: AbortSignal.abort() }),
    );
    expect(out.map((c) => c.finishReason)).toEqual(['aborted', 'aborted']);
    expect(engine.requests).toHaveLength(0);
  });

  it('interrupts an engine in the same thread too (engineCompletionsApi)', async () => {
    const engine = new FakeWebLLMEngine({
      script: () => ({ tokens: Array.from({ length: 200 }, () => 'y') }),
      msPerToken: 2,
    });
    await engine.reload(INFO.modelId);
    const model = new WebLLMModel({ api: engineCompletionsApi(engine), info: INFO });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const [c] = await model.generate(request({ maxTokens: 500, signal: controller.signal }));
    expect(c?.finishReason).toBe('aborted');
    expect(engine.interrupts).toBe(1);
  });
});

describe('resolveFinish', () => {
  const entry = (token: string) => ({ token, bytes: null, logprob: -0.5, top_logprobs: [] });
  it('without log-probabilities assumes the stop string (the safe reading for search)', () => {
    expect(resolveFinish('stop', 'step', ['\n\n'], null)).toEqual({
      text: 'step\n\n',
      finishReason: 'stop',
      endToken: false,
    });
    expect(resolveFinish('stop', 'step', ['\n\n'], [])).toEqual({
      text: 'step\n\n',
      finishReason: 'stop',
      endToken: false,
    });
  });
  it('maps abort and length, and a stop without stop strings to eos', () => {
    expect(resolveFinish('abort', 'par', ['\n\n'], null).finishReason).toBe('aborted');
    expect(resolveFinish('length', 'par', ['\n\n'], null).finishReason).toBe('length');
    expect(resolveFinish('stop', 'done', [], [entry('<|im_end|>')]).finishReason).toBe('eos');
  });
  it('uses the last token to tell the end token from the stop string', () => {
    expect(
      resolveFinish('stop', 'a', ['\n\n'], [entry('a'), entry('<|eot_id|>')]).finishReason,
    ).toBe('eos');
    expect(resolveFinish('stop', 'a', ['\n\n'], [entry('a'), entry('.\n\n')]).finishReason).toBe(
      'stop',
    );
  });
});
