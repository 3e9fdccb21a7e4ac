/**
 * The engine worker with a WebLLM model: the page hands over a port to WebLLM's worker (here
 * the real host with a fake engine that has web-llm's request and response shapes), runs go to
 * that model on GSM8K/MATH-500, and going back to TinyMath cancels and releases it without a
 * hang, even when WebLLM's worker is gone and will never answer.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ScriptedModel,
  noisyArithSolver,
  noisyOracleScores,
  scriptedVerifier,
} from '../../engine/testing';
import type { TraceEvent } from '../../engine/trace/events';
import { replayTrace } from '../../engine/trace/reducer';
import type { WebLLMEngineLike } from '../../runtime/webllm/api';
import { WebLLMClient } from '../../runtime/webllm/client';
import { createWebLLMModels } from '../../runtime/webllm/engineSide';
import { createWebLLMHost } from '../../runtime/webllm/host';
import type { WebLLMModelInfo } from '../../runtime/webllm/model';
import type { MessageEndpoint } from '../../runtime/webllm/protocol';
import {
  FakeWebLLMEngine,
  fakeEngineFactory,
  type ScriptedReply,
} from '../../runtime/webllm/testing/fakeEngine';
import { defaultSettings, strategyConfigFor } from '../../store/settings';
import type { SweepRequest } from '../../store/sweepTypes';
import { arithTask, makeArithProblem } from '../../tasks/arith';
import { gsm8kTask, parseGsm8kJsonl } from '../../tasks/gsm8k';
import { math500Task } from '../../tasks/math500';
import { createWorkerHandler } from './handler';
import type { LoadedModels } from './models';
import type { FromWorker, RunRequest } from './protocol';

const DATA = 'http://localhost:4173/app/';
const publicFile = (path: string) =>
  readFileSync(new URL(`../../../public/${path}`, import.meta.url), 'utf8');

// The page and the worker each load the problems; here the worker's copy is put in place.
gsm8kTask.setProblems(parseGsm8kJsonl(publicFile('data/gsm8k/test-subset.jsonl')));
const gsm8kProblem = gsm8kTask.problemById('gsm8k-0');
if (!gsm8kProblem) throw new Error('fixture problem gsm8k-0 missing');

const INFO: WebLLMModelInfo = {
  modelId: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
  label: 'Qwen2.5 0.5B Instruct (q4f16_1)',
  template: 'qwen2.5',
  parameterCount: 4.94e8,
  contextWindow: 4096,
};

const STEPS = [
  'Janet has 16 - 3 - 4 = 9 eggs to sell.',
  'She makes 9 * 2 = 18 dollars.',
  'So she makes \\boxed{18} dollars.',
];
const tokens = (text: string) => text.match(/\s*\S+|\s+/g) ?? [];

/** Generator: continues the reply so far with the right steps. Judge: always fairly sure. */
function script(request: { prompt: string }): ScriptedReply {
  if (request.prompt.includes('Is step')) {
    return {
      tokens: ['Yes'],
      top: [
        [
          { token: 'Yes', logprob: Math.log(0.8) },
          { token: 'No', logprob: Math.log(0.2) },
        ],
      ],
    };
  }
  const reply = request.prompt.split('<|im_start|>assistant\n')[1] ?? '';
  const done = reply.split('\n\n').filter(Boolean).length;
  return { tokens: tokens(STEPS.slice(done).join('\n\n')) };
}

const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((c) => c());
  vi.unstubAllGlobals();
});

/**
 * WebLLM's worker with `engine` loaded, as the page sees it after a load: returns a fresh port
 * to it, as WebLLMSession.connectPort() does.
 */
async function loadedWebLLM(engine: WebLLMEngineLike): Promise<MessagePort> {
  const channel = new MessageChannel();
  createWebLLMHost(fakeEngineFactory(engine as FakeWebLLMEngine)).connect(
    channel.port1 as unknown as MessageEndpoint,
  );
  const page = new WebLLMClient(channel.port2 as unknown as MessageEndpoint);
  closers.push(() => {
    page.close('test finished');
    channel.port1.close();
    channel.port2.close();
  });
  await page.load(INFO.modelId);
  return page.connectPort();
}

function tinymath(onGenerate?: () => void): LoadedModels {
  return {
    generator: new ScriptedModel({
      script: noisyArithSolver({ stepErrorRate: 0.2 }),
      ...(onGenerate ? { onGenerate } : {}),
    }),
    prm: scriptedVerifier({ score: noisyOracleScores(arithTask, { noise: 0.2, seed: 1 }) }),
    backend: 'cpu',
    notice: null,
    dispose() {},
  };
}

function setup() {
  const messages: FromWorker[] = [];
  let tinymathLoads = 0;
  const disposed: string[] = [];
  const handler = createWorkerHandler({
    post: (m) => messages.push(m),
    loadModels: async () => {
      tinymathLoads++;
      return tinymath();
    },
    connectWebLLM: (port, info, onSpeed) => {
      const models = createWebLLMModels(port, info, onSpeed);
      return {
        ...models,
        family: 'chat',
        dispose() {
          disposed.push(info.modelId);
          models.dispose();
        },
      };
    },
    flushIntervalMs: 1,
  });
  handler.handle({
    type: 'load-models',
    baseUrl: `${DATA}models/`,
    backend: 'auto',
    dataBaseUrl: DATA,
  });
  return { messages, handler, disposed, tinymathLoads: () => tinymathLoads };
}

function gsm8kRun(strategy: RunRequest['config']['kind'], verifier: RunRequest['verifier']) {
  const settings = {
    ...defaultSettings(),
    task: 'gsm8k',
    level: gsm8kProblem!.level,
    problemId: gsm8kProblem!.id,
    strategy,
    n: 2,
    beamWidth: 2,
    verifier,
  };
  return {
    taskId: 'gsm8k',
    problem: gsm8kProblem!,
    config: strategyConfigFor(settings),
    verifier,
    seed: 1,
  } satisfies RunRequest;
}

function arithRun(): RunRequest {
  const problem = makeArithProblem(2, 5);
  const settings = { ...defaultSettings(), level: 2, problemId: problem.id, n: 4, beamWidth: 2 };
  return {
    taskId: 'arith',
    problem,
    config: strategyConfigFor(settings),
    verifier: 'prm',
    seed: 2,
  };
}

const eventsOf = (messages: FromWorker[], runId: string): TraceEvent[] =>
  messages.flatMap((m) => (m.type === 'run-events' && m.runId === runId ? m.events : []));
const endOf = (messages: FromWorker[], runId: string) =>
  messages.find((m) => m.type === 'run-ended' && m.runId === runId);

/** An engine that takes requests and never answers: WebLLM's worker after it was terminated. */
function deadEngine(): WebLLMEngineLike & { requests: number } {
  const engine = {
    requests: 0,
    reload: async () => undefined,
    unload: async () => undefined,
    interruptGenerate: () => undefined,
    completions: {
      create: () => {
        engine.requests++;
        return new Promise<never>(() => undefined);
      },
    },
  };
  return engine;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('worker handler with a WebLLM model', () => {
  it('runs beam search on GSM8K with the WebLLM generator and its LLM-as-judge, and reports speed', async () => {
    const { messages, handler, tinymathLoads } = setup();
    const engine = new FakeWebLLMEngine({ script });
    handler.handle({ type: 'use-webllm', info: INFO, port: await loadedWebLLM(engine) });
    handler.handle({ type: 'start-run', runId: 'w1', request: gsm8kRun('beam', 'prm') });
    await handler.idle();

    const events = eventsOf(messages, 'w1');
    const started = events[0];
    expect(started?.type === 'run_started' && started.model.id).toBe(`webllm:${INFO.modelId}`);
    expect(started?.type === 'run_started' && started.verifier?.kind).toBe('judge');
    const state = replayTrace(events);
    expect(state.finished).toMatchObject({ status: 'completed', answer: '18', correct: true });
    expect(endOf(messages, 'w1')).toEqual({ type: 'run-ended', runId: 'w1', status: 'completed' });
    // Generator and judge requests both reached the engine, and every call reported its speed.
    expect(engine.requests.some((r) => r.prompt.includes('Is step'))).toBe(true);
    const speeds = messages.filter((m) => m.type === 'webllm-speed');
    expect(speeds).toHaveLength(engine.requests.length);
    expect(speeds[0]).toMatchObject({
      report: { modelId: INFO.modelId, prefillTokensPerS: 800, decodeTokensPerS: 40 },
    });
    // TinyMath was loaded once and never dropped for WebLLM.
    expect(tinymathLoads()).toBe(1);
  });

  it('uses the final-answer oracle for GSM8K (it has no step checker)', async () => {
    const { messages, handler } = setup();
    handler.handle({
      type: 'use-webllm',
      info: INFO,
      port: await loadedWebLLM(new FakeWebLLMEngine({ script })),
    });
    handler.handle({ type: 'start-run', runId: 'o', request: gsm8kRun('best-of-n', 'oracle') });
    await handler.idle();
    const started = eventsOf(messages, 'o')[0];
    expect(started?.type === 'run_started' && started.verifier).toMatchObject({
      id: 'oracle-answer:gsm8k',
      kind: 'oracle',
    });
    expect(endOf(messages, 'o')).toMatchObject({ status: 'completed' });
  });

  it('going back to TinyMath mid-run cancels the run even though WebLLM never answers, then TinyMath runs', async () => {
    const { messages, handler, disposed } = setup();
    const engine = deadEngine();
    handler.handle({ type: 'use-webllm', info: INFO, port: await loadedWebLLM(engine) });
    handler.handle({ type: 'start-run', runId: 'w', request: gsm8kRun('best-of-n', 'prm') });
    await until(() => engine.requests > 0, 'the first WebLLM request');

    handler.handle({ type: 'use-tinymath' });
    handler.handle({ type: 'start-run', runId: 't', request: arithRun() });
    await handler.idle();

    expect(disposed).toEqual([INFO.modelId]);
    expect(endOf(messages, 'w')).toEqual({ type: 'run-ended', runId: 'w', status: 'cancelled' });
    expect(replayTrace(eventsOf(messages, 'w')).finished?.status).toBe('cancelled');
    const t = eventsOf(messages, 't');
    expect(t[0]?.type === 'run_started' && t[0].model.id).not.toMatch(/^webllm:/);
    expect(endOf(messages, 't')).toMatchObject({ status: 'completed' });
  });

  it('going back to TinyMath cancels a sweep on WebLLM', async () => {
    const { messages, handler } = setup();
    const engine = deadEngine();
    handler.handle({ type: 'use-webllm', info: INFO, port: await loadedWebLLM(engine) });
    const request: SweepRequest = {
      taskId: 'gsm8k',
      levels: [1],
      problemsPerLevel: 1,
      problemSeed: 1,
      nMax: 2,
      strategies: ['best-of-n'],
      verifier: 'oracle',
      seed: 1,
    };
    handler.handle({ type: 'start-sweep', sweepId: 's', request, completed: [] });
    await until(() => engine.requests > 0, 'the sweep to reach WebLLM');
    handler.handle({ type: 'use-tinymath' });
    await handler.idle();
    expect(messages.at(-1)).toEqual({ type: 'sweep-ended', sweepId: 's', status: 'cancelled' });
  });

  it('refuses a task the active model cannot read, with a clear message', async () => {
    const { messages, handler } = setup();
    handler.handle({ type: 'start-run', runId: 'tm', request: gsm8kRun('best-of-n', 'none') });
    await handler.idle();
    const tm = endOf(messages, 'tm');
    expect(tm).toMatchObject({ status: 'error' });
    expect(tm?.type === 'run-ended' && tm.error).toMatch(/GSM8K needs a chat model/);

    handler.handle({
      type: 'use-webllm',
      info: INFO,
      port: await loadedWebLLM(new FakeWebLLMEngine({ script })),
    });
    handler.handle({ type: 'start-run', runId: 'wa', request: arithRun() });
    await handler.idle();
    const wa = endOf(messages, 'wa');
    expect(wa?.type === 'run-ended' && wa.error).toMatch(/TinyMath's/);
  });

  it('fetches MATH-500 in the worker from the absolute data URL before running on it', async () => {
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      fetched.push(url);
      return new Response(publicFile('data/math500/test.jsonl'));
    });
    const { messages, handler } = setup();
    handler.handle({
      type: 'use-webllm',
      info: INFO,
      port: await loadedWebLLM(new FakeWebLLMEngine({ script })),
    });
    expect(math500Task.isLoaded()).toBe(false);
    // The page has its own copy of the problems; the request carries the problem itself.
    const problem = {
      id: 'math-algebra-1',
      taskId: 'math500',
      level: 1,
      question: 'What is $6 \\times 3$?',
      answer: '18',
    };
    const settings = { ...defaultSettings(), task: 'math500', level: 1, strategy: 'best-of-n' };
    handler.handle({
      type: 'start-run',
      runId: 'm',
      request: {
        taskId: 'math500',
        problem,
        config: strategyConfigFor({ ...settings, strategy: 'best-of-n', n: 1 }),
        verifier: 'none',
        seed: 1,
      },
    });
    await handler.idle();
    expect(fetched).toEqual([`${DATA}data/math500/test.jsonl`]);
    expect(math500Task.isLoaded()).toBe(true);
    expect(endOf(messages, 'm')).toMatchObject({ status: 'completed' });
  });
});
