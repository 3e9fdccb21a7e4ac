/**
 * The controller with the page's WebLLM session: a model that becomes ready is what runs use
 * (the engine worker gets a port to it), the task follows the model family, a GSM8K or
 * MATH-500 link waits for its problems and for a model that can read them, and leaving
 * WebLLM in any way goes back to TinyMath with the earlier task and problem.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WEBLLM_CATALOGUE } from '../runtime/webllm/catalogue';
import type { WebGPUSupport } from '../runtime/webllm/gpu';
import { WebLLMSession, type WorkerLike } from '../runtime/webllm/session';
import { FakeWebLLMEngine } from '../runtime/webllm/testing/fakeEngine';
import { fakeWebLLMWorker } from '../runtime/webllm/testing/fakeWorker';
import { createAppStore } from '../store/appStore';
import { defaultSettings, settingsFromHash, settingsToHash } from '../store/settings';
import { gsm8kTask, parseGsm8kJsonl } from '../tasks/gsm8k';
import { math500Task } from '../tasks/math500';
import { AppController } from './controller';
import { controllerFakes } from './testing/controllerFakes';
import type { ToWorker } from './worker/protocol';

const publicFile = (path: string) =>
  readFileSync(new URL(`../../public/${path}`, import.meta.url), 'utf8');
gsm8kTask.setProblems(parseGsm8kJsonl(publicFile('data/gsm8k/test-subset.jsonl')));

const GPU: WebGPUSupport = {
  available: true,
  shaderF16: true,
  fallbackAdapter: false,
  reason: null,
};
const family = WEBLLM_CATALOGUE.find((f) => f.key === 'qwen2.5-0.5b');
if (!family) throw new Error('catalogue lacks Qwen2.5 0.5B');

/** WebLLM's worker: the real host with a fake engine, over a MessageChannel. */
function fakeWorker(): WorkerLike {
  const worker = fakeWebLLMWorker(new FakeWebLLMEngine({ script: () => ({ tokens: ['ok'] }) }));
  closers.push(() => worker.terminate());
  return worker;
}

const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((c) => c());
  vi.unstubAllGlobals();
});

function started(initialHash = '') {
  const { sent, transfers, engine, env, emit, runTimers } = controllerFakes(
    initialHash,
    'http://localhost/app/',
  );
  const session = new WebLLMSession({ probe: async () => GPU, createWorker: fakeWorker });
  const store = createAppStore(settingsFromHash(initialHash));
  const controller = new AppController(store, engine, env, null, session);
  controller.start();
  closers.push(() => controller.dispose());
  return {
    sent,
    transfers,
    store,
    controller,
    session,
    emit,
    runTimers,
  };
}

const runs = (sent: ToWorker[]) => sent.flatMap((m) => (m.type === 'start-run' ? [m.request] : []));

describe('AppController with WebLLM', () => {
  it('a loaded WebLLM model becomes the model runs use; going back restores TinyMath and its problem', async () => {
    const { sent, transfers, store, session, runTimers, emit } = started();
    const arithProblem = store.getState().settings.problemId;
    expect(runs(sent).at(-1)?.taskId).toBe('arith');

    await session.loadFamily(family);
    const use = sent.find((m) => m.type === 'use-webllm');
    if (use?.type !== 'use-webllm') throw new Error('the engine worker got no use-webllm');
    expect(use.info.modelId).toBe(family.f16.modelId);
    // The port is transferred, not copied: the engine worker talks to WebLLM's worker directly.
    expect(transfers).toEqual([[use.port]]);
    expect(store.getState().activeModel.kind).toBe('webllm');
    // TinyMath's arithmetic means nothing to a chat model: the task moved to GSM8K.
    expect(store.getState().settings.task).toBe('gsm8k');
    expect(store.getState().notices.at(-1)?.text).toMatch(/task is now GSM8K/);
    runTimers();
    const onWebLLM = runs(sent).at(-1);
    expect(onWebLLM?.taskId).toBe('gsm8k');
    expect(onWebLLM?.problem.id).toBe(store.getState().settings.problemId);
    expect(onWebLLM?.config.maxTokens).toBeGreaterThan(100);

    emit({
      type: 'webllm-speed',
      report: {
        modelId: family.f16.modelId,
        role: 'generator',
        promptTokens: 120,
        completionTokens: 80,
        prefillTokensPerS: 900,
        decodeTokensPerS: 35,
        timeToFirstTokenS: 0.1,
        e2eLatencyS: 2.4,
      },
    });
    expect(store.getState().webllmSpeed?.decodeTokensPerS).toBe(35);

    // Pick a different GSM8K problem, then leave WebLLM from the picker.
    const other = gsm8kTask.problemsAt(2)[3];
    store
      .getState()
      .replaceSettings({ ...store.getState().settings, level: 2, problemId: other!.id });
    session.backToTinyMath();
    expect(sent.at(-1)).toEqual({ type: 'use-tinymath' });
    expect(store.getState().activeModel).toEqual({ kind: 'tinymath' });
    expect(store.getState().webllmSpeed).toBeNull();
    expect(store.getState().settings).toMatchObject({ task: 'arith', problemId: arithProblem });
    runTimers();
    expect(runs(sent).at(-1)).toMatchObject({ taskId: 'arith', problem: { id: arithProblem } });

    // Loading again comes back to the GSM8K problem the user had picked.
    await session.loadFamily(family);
    expect(store.getState().settings).toMatchObject({ task: 'gsm8k', problemId: other!.id });
  });

  it('a GSM8K link with only TinyMath says what is needed instead of running, then runs once a model is loaded', async () => {
    const problem = gsm8kTask.problemsAt(3)[1]!;
    const hash = `#${settingsToHash({ ...defaultSettings(), task: 'gsm8k', level: 3, problemId: problem.id, strategy: 'best-of-n' })}`;
    const { sent, store, session, controller, runTimers } = started(hash);
    expect(runs(sent)).toEqual([]);
    expect(store.getState().runBlocked).toMatch(/GSM8K needs a real chat model/);
    await controller.startSweep({
      taskId: 'gsm8k',
      levels: [1],
      problemsPerLevel: 1,
      problemSeed: 1,
      nMax: 2,
      strategies: ['best-of-n'],
      verifier: 'oracle',
      seed: 1,
    });
    expect(sent.some((m) => m.type === 'start-sweep')).toBe(false);
    expect(store.getState().notices.at(-1)?.text).toMatch(/The sweep cannot start: GSM8K needs/);

    await session.loadFamily(family);
    runTimers();
    expect(store.getState().runBlocked).toBeNull();
    // The link's own task and problem, not a default.
    expect(runs(sent).at(-1)).toMatchObject({ taskId: 'gsm8k', problem: { id: problem.id } });
  });

  it('a MATH-500 link keeps its problem id until the problems are fetched, then runs that problem', async () => {
    let release: (() => void) | null = null;
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      fetched.push(url);
      await new Promise<void>((r) => {
        release = r;
      });
      return new Response(publicFile('data/math500/test.jsonl'));
    });
    const id = 'math-precalculus-807';
    const hash = `#task=math500&level=2&problem=${id}&strategy=best-of-n&n=4`;
    const { sent, store, session, runTimers } = started(hash);
    await session.loadFamily(family);
    runTimers();
    expect(fetched).toEqual(['http://localhost/app/data/math500/test.jsonl']);
    expect(math500Task.isLoaded()).toBe(false);
    expect(store.getState().settings.problemId).toBe(id);
    expect(store.getState().runStatus).toBe('waiting');
    expect(runs(sent)).toEqual([]);

    (release as (() => void) | null)?.();
    await vi.waitFor(() => expect(runs(sent)).toHaveLength(1));
    const run = runs(sent)[0];
    expect(run?.taskId).toBe('math500');
    expect(run?.problem.id).toBe(id);
    expect(run?.problem.level).toBe(math500Task.problemById(id)?.level);
  });

  it('a failed load of another model, or a deleted model, also goes back to TinyMath', async () => {
    const { sent, store, session } = started();
    await session.loadFamily(family);
    expect(store.getState().activeModel.kind).toBe('webllm');
    await session.deleteFromCache(family.f16);
    expect(store.getState().activeModel.kind).toBe('tinymath');
    expect(sent.filter((m) => m.type === 'use-tinymath')).toHaveLength(1);
  });
});
