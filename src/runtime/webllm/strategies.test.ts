/**
 * The WebLLM backend under the real engine: GSM8K prompts, WebLLMModel and WebLLMJudge on one
 * fake engine behind the worker protocol, driven by beam search and best-of-N. Checks that
 * steps come back with their delimiter, paths end on the boxed answer or the end token, the
 * trace is sound and its costs add up.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../engine/run';
import { traceProblems, visibleGeneratedTokens } from '../../engine/testing/traceChecks';
import type { RunContext, StrategyConfig } from '../../engine/types';
import { splitChatPrompt } from '../../tasks/answers/chatPrompt';
import { createGsm8kTask, parseGsm8kJsonl } from '../../tasks/gsm8k';
import { createWebLLMModels } from './engineSide';
import type { MessageEndpoint } from './protocol';
import { connectToFakeHost, type HostConnection } from './testing/channel';
import { FakeWebLLMEngine, type ScriptedReply } from './testing/fakeEngine';

const task = createGsm8kTask(
  parseGsm8kJsonl(
    readFileSync(new URL('../../../public/data/gsm8k/test-subset.jsonl', import.meta.url), 'utf8'),
  ),
);
const problem = task.problemById('gsm8k-0');
if (!problem) throw new Error('fixture problem missing');

const STEPS_RIGHT = [
  'Janet has 16 - 3 - 4 = 9 eggs to sell.',
  'She makes 9 * 2 = 18 dollars.',
  'So she makes \\boxed{18} dollars.',
];
const STEPS_WRONG = [
  'Janet has 16 - 3 = 13 eggs to sell.',
  'She makes 13 * 2 = 26 dollars.',
  'So she makes \\boxed{26} dollars.',
];

/** Tokens of a text, split roughly as a tokenizer would (words with their leading space). */
const tokens = (text: string) => text.match(/\s*\S+|\s+/g) ?? [];

/** The generator continues the reply so far; odd seeds go wrong. The judge trusts "9" and "18". */
function script(request: { prompt: string; seed?: number | null }): ScriptedReply {
  if (request.prompt.includes('Is step')) {
    const k = Number(/Is step (\d+) correct/.exec(request.prompt)?.[1]);
    const step = request.prompt.split(/Step \d+:\n/)[k]?.split('\n\n')[0] ?? '';
    const good = /= 9 |= 18|\{18\}/.test(step);
    return {
      tokens: [good ? 'Yes' : 'No'],
      top: [
        [
          { token: 'Yes', logprob: Math.log(good ? 0.9 : 0.2) },
          { token: 'No', logprob: Math.log(good ? 0.1 : 0.8) },
        ],
      ],
    };
  }
  const reply = request.prompt.split('<|im_start|>assistant\n')[1] ?? '';
  const done = reply.split('\n\n').filter(Boolean).length;
  const steps =
    reply.includes('13') || (done === 0 && (request.seed ?? 0) % 2 === 1)
      ? STEPS_WRONG
      : STEPS_RIGHT;
  const rest = steps.slice(done);
  return { tokens: tokens(rest.join('\n\n')) };
}

let connection: HostConnection | null = null;
afterEach(() => {
  connection?.close();
  connection = null;
});

async function context(config: StrategyConfig): Promise<RunContext> {
  const engine = new FakeWebLLMEngine({ script });
  connection = connectToFakeHost(engine);
  await connection.client.load('Qwen2.5-0.5B-Instruct-q4f16_1-MLC');
  const port = connection.client.connectPort();
  const models = createWebLLMModels(port as unknown as MessageEndpoint, {
    modelId: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
    label: 'Qwen2.5 0.5B Instruct (q4f16_1)',
    template: 'qwen2.5',
    parameterCount: 0.494e9,
    contextWindow: 4096,
  });
  const close = connection.close;
  connection.close = () => {
    models.dispose();
    close();
  };
  return {
    task,
    problem: problem as NonNullable<typeof problem>,
    model: models.generator,
    verifier: models.prm,
    config,
    seed: 3,
  };
}

const common = { temperature: 0.7, topP: 1, aggregation: 'last' as const, maxTokens: 128 };

describe('WebLLM backend under the engine (fake engine, GSM8K)', () => {
  it('beam search: steps end with their delimiter, beams finish on the boxed answer, trace is sound', async () => {
    const ctx = await context({ kind: 'beam', n: 4, beamWidth: 2, maxRounds: 6, ...common });
    const result = await runToCompletion(ctx);
    expect(result.status).toBe('completed');
    expect(traceProblems(result.events)).toEqual([]);
    expect(result.answer).toBe('18');
    expect(result.correct).toBe(true);
    // Generated steps (the root's text is the question prompt).
    const texts = result.events.flatMap((e) =>
      e.type === 'text_appended' && e.id !== 'root' ? [e.text] : [],
    );
    // Every step is one paragraph: middle steps end with "\n\n", final steps with the box.
    for (const t of texts) {
      expect(t.endsWith('\n\n') || t.includes('\\boxed{')).toBe(true);
      expect(t.slice(0, -2)).not.toContain('\n\n');
    }
    // Wrong first steps were proposed, and the judge's low scores pruned them.
    const wrongIds = result.events.flatMap((e) =>
      e.type === 'text_appended' && e.text.includes('16 - 3 = 13') ? [e.id] : [],
    );
    expect(wrongIds.length).toBeGreaterThan(0);
    const pruned = new Set(result.events.flatMap((e) => (e.type === 'pruned' ? e.ids : [])));
    expect(wrongIds.every((id) => pruned.has(id))).toBe(true);
    expect(result.costs.generatedTokens).toBe(visibleGeneratedTokens(result.events));
    expect(result.costs.verifierTokens).toBeGreaterThan(0);
  });

  it('best-of-N weighted: whole solutions in one call each, the judge decides the vote', async () => {
    const ctx = await context({ kind: 'best-of-n', n: 4, selection: 'weighted', ...common });
    const result = await runToCompletion(ctx);
    expect(result.status).toBe('completed');
    expect(traceProblems(result.events)).toEqual([]);
    const finished = result.events.flatMap((e) => (e.type === 'finished' ? [e] : []));
    expect(finished).toHaveLength(4);
    expect(finished.every((f) => f.reason === 'answer')).toBe(true);
    expect(new Set(finished.map((f) => f.answer))).toEqual(new Set(['18', '26']));
    expect(result.answer).toBe('18');
  });

  it('sends chat-templated prompts that continue the partial reply', async () => {
    const ctx = await context({ kind: 'beam', n: 2, beamWidth: 2, maxRounds: 6, ...common });
    const seen: string[] = [];
    const model = ctx.model;
    const generate = model.generate.bind(model);
    model.generate = async (r) => {
      seen.push(...r.prompts);
      return generate(r);
    };
    await runToCompletion(ctx);
    // The engine sends task prompts; the model renders them. Later rounds continue a reply.
    expect(seen.every((p) => splitChatPrompt(p) !== null)).toBe(true);
    expect(seen.some((p) => (splitChatPrompt(p)?.reply ?? '').length > 0)).toBe(true);
  });
});
