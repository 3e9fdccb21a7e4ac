import { describe, expect, it } from 'vitest';
import { OpenAICompletionsModel } from './openai';

/** A fake vLLM /v1/completions endpoint: it "completes" by echoing a scripted continuation. */
function fakeServer(script: (body: Record<string, unknown>) => unknown, status = 200) {
  const bodies: Record<string, unknown>[] = [];
  const fetchImpl = (async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    bodies.push(body);
    return new Response(JSON.stringify(script(body)), { status });
  }) as unknown as typeof fetch;
  return { fetchImpl, bodies };
}

const base = { baseUrl: 'http://localhost:8000/v1', model: 'qwen', parameterCount: 1e9 };

describe('OpenAICompletionsModel', () => {
  it('sends one request per prompt with distinct derived seeds and returns per-prompt usage', async () => {
    const { fetchImpl, bodies } = fakeServer((b) => ({
      choices: [{ text: `${String(b.prompt).length}\n`, finish_reason: 'stop', stop_reason: '\n' }],
      usage: { prompt_tokens: String(b.prompt).length, completion_tokens: 2 },
    }));
    const model = new OpenAICompletionsModel({ ...base, fetch: fetchImpl });
    const out = await model.generate({
      prompts: ['ab', 'abcd'],
      maxTokens: 8,
      stop: ['\n'],
      temperature: 1,
      topP: 1,
      seed: 3,
    });
    expect(out.map((c) => c.text)).toEqual(['2\n', '4\n']);
    expect(out.map((c) => c.promptTokens)).toEqual([2, 4]);
    expect(out.every((c) => c.finishReason === 'stop')).toBe(true);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]?.seed).not.toEqual(bodies[1]?.seed);
    expect(bodies[0]?.include_stop_str_in_output).toBe(true);
  });

  it('re-appends the stop string a server left out, and tells EOS from a stop', async () => {
    const { fetchImpl } = fakeServer((b) => ({
      choices: [
        b.prompt === 'eos'
          ? { text: 'done', finish_reason: 'stop', stop_reason: null }
          : { text: 'step', finish_reason: 'stop', stop_reason: '\n\n' },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    }));
    const model = new OpenAICompletionsModel({ ...base, vllmExtensions: false, fetch: fetchImpl });
    const [a, b] = await model.generate({
      prompts: ['x', 'eos'],
      maxTokens: 8,
      stop: ['\n\n', 'END'],
      temperature: 0,
      topP: 1,
      seed: 1,
    });
    expect(a).toMatchObject({ text: 'step\n\n', finishReason: 'stop' });
    expect(b).toMatchObject({ text: 'done', finishReason: 'eos' });
  });

  it('never sends more stop strings than the capability allows', async () => {
    const { fetchImpl, bodies } = fakeServer(() => ({
      choices: [{ text: '', finish_reason: 'length' }],
      usage: { prompt_tokens: 1, completion_tokens: 0 },
    }));
    const model = new OpenAICompletionsModel({ ...base, fetch: fetchImpl });
    await model.generate({
      prompts: ['p'],
      maxTokens: 1,
      stop: ['a', 'b', 'c', 'd', 'e'],
      temperature: 1,
      topP: 1,
      seed: 0,
    });
    expect((bodies[0]?.stop as string[]).length).toBe(4);
  });

  it('turns a server error into a clear message', async () => {
    const { fetchImpl } = fakeServer(() => ({ error: { message: 'model not found' } }), 404);
    const model = new OpenAICompletionsModel({ ...base, fetch: fetchImpl });
    await expect(
      model.generate({ prompts: ['p'], maxTokens: 1, temperature: 1, topP: 1, seed: 0 }),
    ).rejects.toThrow(/answered 404: model not found/);
  });

  it('returns aborted completions once the signal fires', async () => {
    const { fetchImpl, bodies } = fakeServer(() => ({
      choices: [{ text: 'x', finish_reason: 'length' }],
    }));
    const model = new OpenAICompletionsModel({ ...base, fetch: fetchImpl });
    const controller = new AbortController();
    controller.abort();
    const out = await model.generate({
      prompts: ['p', 'q'],
      maxTokens: 1,
      temperature: 1,
      topP: 1,
      seed: 0,
      signal: controller.signal,
    });
    expect(out.every((c) => c.finishReason === 'aborted')).toBe(true);
    expect(bodies).toHaveLength(0);
  });
});
