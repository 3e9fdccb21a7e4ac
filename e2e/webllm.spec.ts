import { expect, test, type Page } from '@playwright/test';
import { openApp, runStatus, screenshot, waitForRunPlayed } from './helpers';

/**
 * WebLLM without a network: picking a model gives a clear download error, and the user goes
 * back to TinyMath and runs as before, with nothing lost.
 *
 * Runs in the 'webgpu' project (SwiftShader): the adapter exists, so the picker gets as far as
 * starting WebLLM's worker (web-llm's chunk is served locally) and fails on the model download,
 * which this test blocks. A browser without WebGPU would stop earlier with "WebGPU is not
 * available" (covered by the session's unit tests).
 *
 * Needs the lead to mount <WebLLMModelPicker> (src/runtime/webllm/ui) where a user can reach it;
 * flip PICKER_MOUNTED once that is done. Until then the test is marked fixme, not skipped
 * silently, so the report lists it.
 */
const PICKER_MOUNTED = true;

/** Hosts WebLLM downloads from: prebuilt weights and model libraries. */
const MODEL_HOSTS = /^https?:\/\/([^/]*\.)?(huggingface\.co|hf\.co|githubusercontent\.com)\//;

/** Bring the picker into view: it may be open already, or behind a button or disclosure. */
async function openPicker(page: Page): Promise<void> {
  const heading = page.getByRole('heading', { name: 'Real models (WebLLM)' });
  if (await heading.isVisible()) return;
  const opener = page
    .getByRole('button', { name: /Real models|WebLLM/ })
    .or(page.getByText(/Real models \(WebLLM\)/).first());
  await opener.first().click();
  await expect(heading).toBeVisible();
}

test('a WebLLM model with no network shows a clear error, then TinyMath runs again', async ({
  page,
  context,
}, info) => {
  test.fixme(!PICKER_MOUNTED, 'needs <WebLLMModelPicker> mounted in the app');
  // Routing on the context also catches requests from WebLLM's dedicated worker.
  const blocked: string[] = [];
  await context.route(MODEL_HOSTS, (route) => {
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const errors = await openApp(page);
  await expect(page.getByTestId('model-status')).toContainText('TinyMath on', { timeout: 60_000 });
  await waitForRunPlayed(page);

  await openPicker(page);
  const picker = page.getByTestId('webllm-picker');
  await expect(picker.getByTestId('webllm-gpu')).toContainText('WebGPU: available');
  await screenshot(page, 'webllm-picker', info.project.name);
  await picker.getByRole('button', { name: 'Load SmolLM2 360M Instruct' }).click();

  const alert = picker.getByRole('alert');
  await expect(alert).toContainText('The download failed', { timeout: 90_000 });
  await expect(alert).toContainText(/network/i);
  await expect(alert).toHaveAttribute('data-kind', 'network');
  // The model's button is far down the panel; the message must not appear out of sight.
  await expect(alert).toBeInViewport();
  expect(blocked.length).toBeGreaterThan(0);
  await screenshot(page, 'webllm-error', info.project.name);

  await alert.getByRole('button', { name: 'Back to TinyMath' }).click();
  await expect(picker.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('model-status')).toContainText('TinyMath on');

  await page.getByRole('button', { name: 'Run again' }).click();
  await expect(runStatus(page)).toHaveAttribute('data-status', /running|completed/);
  await waitForRunPlayed(page);
  expect(errors).toEqual([]);
});

test('a GSM8K link without a WebLLM model loads its problems and says which model it needs', async ({
  page,
}, info) => {
  const errors = await openApp(page, 'task=gsm8k&level=2&strategy=best-of-n&n=4&speed=64');
  const blocked = page.getByTestId('run-blocked');
  await expect(blocked).toContainText('GSM8K needs a real chat model');
  // The problems come from public/data, so the picker lists real GSM8K questions.
  const problem = page.getByLabel('Problem', { exact: true });
  await expect(problem).toBeEnabled();
  await expect(problem.locator('option').first()).toHaveText(/^1\. \S/);
  expect(new URL(page.url()).hash).toMatch(/task=gsm8k.*problem=gsm8k-\d+/);
  await expect(page.getByLabel('Verifier', { exact: true })).toContainText('LLM-as-judge PRM');
  await screenshot(page, 'webllm-blocked', info.project.name);
  await blocked.getByRole('button', { name: 'Choose a WebLLM model' }).click();
  await expect(page.getByRole('heading', { name: 'Real models (WebLLM)' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('without WebGPU in the page, picking a model says so at once and downloads nothing', async ({
  page,
  context,
}) => {
  // The page's navigator.gpu is what the picker probes; hiding it is a browser without WebGPU
  // as far as WebLLM is concerned (TinyMath's own worker is unaffected).
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
  });
  const requested: string[] = [];
  await context.route(MODEL_HOSTS, (route) => {
    requested.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const errors = await openApp(page);
  await waitForRunPlayed(page);
  await openPicker(page);
  const picker = page.getByTestId('webllm-picker');
  await expect(picker.getByTestId('webllm-gpu')).toContainText('No WebGPU here');
  await picker.getByRole('button', { name: 'Load Qwen2.5 0.5B Instruct' }).click();
  const alert = picker.getByRole('alert');
  await expect(alert).toHaveAttribute('data-kind', 'no-webgpu');
  await expect(alert).toContainText('WebGPU is not available');
  await expect(alert).toBeInViewport();
  expect(requested).toEqual([]);
  await alert.getByRole('button', { name: 'Back to TinyMath' }).click();
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-active', 'tinymath');
  expect(errors).toEqual([]);
});

/**
 * A scripted stand-in for WebLLM's worker (served in place of the built webllm.worker chunk),
 * so the app's whole WebLLM path runs in the browser without downloading a model: the page's
 * session, the port handed to the engine worker, GSM8K prompts in the chat template, the
 * LLM-as-judge, speed reports and the error path. It speaks the worker protocol of
 * src/runtime/webllm/protocol.ts with web-llm's response shapes; it is not a model. With
 * `failCompletions` every completion fails as a lost GPU device does.
 */
function scriptedWebLLMWorker(failCompletions: boolean): string {
  return `
const STEPS = ['Add the two amounts: 20 + 22 = 42.', 'So the answer is \\\\boxed{42}.'];
const FAIL = ${JSON.stringify(failCompletions)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tok = (token, logprob, top) => ({ token, bytes: [], logprob, top_logprobs: top ?? [{ token, bytes: [], logprob }] });
function completion(model, params, text, content, finish) {
  const prompt_tokens = Math.ceil(params.prompt.length / 4);
  return {
    id: 'scripted', object: 'text_completion', created: 0, model,
    choices: [{ index: 0, text, finish_reason: finish, logprobs: params.logprobs ? { content } : null }],
    usage: { prompt_tokens, completion_tokens: content.length, total_tokens: prompt_tokens + content.length,
      extra: { prefill_tokens_per_s: 850, decode_tokens_per_s: 42.5, time_to_first_token_s: 0.1,
        e2e_latency_s: 0.5, time_per_output_token_s: 0.02 } },
  };
}
let loaded = null;
function answer(params) {
  if (params.prompt.includes('Is step')) {
    return completion(loaded, params, 'Yes', [tok('Yes', -0.22, [tok('Yes', -0.22), tok('No', -1.6)])], 'stop');
  }
  const reply = params.prompt.split('<|im_start|>assistant\\n').pop() ?? '';
  const done = reply.split('\\n\\n').filter((s) => s.trim() !== '').length;
  const rest = STEPS.slice(done);
  const stops = params.stop ?? [];
  if (rest.length === 0) return completion(loaded, params, '', [tok('<|im_end|>', -0.1)], 'stop');
  if (stops.includes('\\n\\n')) {
    // WebLLM drops the stop string from the text; its token is the last log-probability entry.
    return completion(loaded, params, rest[0], [tok(rest[0], -0.3), tok('\\n\\n', -0.1)], 'stop');
  }
  const text = rest.join('\\n\\n');
  return completion(loaded, params, text, [tok(text, -0.5), tok('<|im_end|>', -0.1)], 'stop');
}
function serve(ep) {
  ep.onmessage = async (e) => {
    const m = e.data;
    if (m.type === 'connect') return serve(m.port);
    if (m.type === 'load') {
      for (const progress of [0.25, 0.75, 1]) {
        ep.postMessage({ type: 'progress', id: m.id, report: { progress, timeElapsed: 0, text: 'Fetching param cache (scripted)' } });
        await sleep(30);
      }
      loaded = m.modelId;
      return ep.postMessage({ type: 'loaded', id: m.id, modelId: m.modelId });
    }
    if (m.type === 'complete') {
      await sleep(5);
      if (FAIL) return ep.postMessage({ type: 'failed', id: m.id, error: 'DeviceLostError: GPU device was lost (reason: unknown)' });
      return ep.postMessage({ type: 'completion', id: m.id, completion: answer(m.params) });
    }
    if (m.type === 'unload') return ep.postMessage({ type: 'done', id: m.id });
  };
}
serve(self);
`;
}

/** Serve the scripted worker instead of WebLLM's real one (the library is never loaded). */
async function useScriptedWebLLM(page: Page, failCompletions = false): Promise<void> {
  await page.context().route(/\/assets\/webllm\.worker-[^/]+\.js$/, (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: scriptedWebLLMWorker(failCompletions),
    }),
  );
}

test('a loaded WebLLM model runs GSM8K in the same views, with live speed and the cost note', async ({
  page,
}, info) => {
  await useScriptedWebLLM(page);
  const errors = await openApp(page);
  await waitForRunPlayed(page);
  await openPicker(page);
  const picker = page.getByTestId('webllm-picker');
  await picker.getByRole('button', { name: 'Load Qwen2.5 0.5B Instruct' }).click();
  await expect(picker.getByTestId('webllm-ready')).toContainText('Qwen2.5 0.5B Instruct');

  // The app switched to a task the chat model reads, and runs it on that model.
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-active', 'webllm');
  await expect(page.getByLabel('Task', { exact: true })).toHaveValue('gsm8k');
  await waitForRunPlayed(page);
  await expect(page.getByTestId('final-answer')).toContainText('42');
  const status = page.getByTestId('model-status');
  await expect(status).toContainText('Qwen2.5 0.5B Instruct');
  const speed = page.getByRole('region', { name: /Main stage/ }).getByTestId('webllm-speed');
  await expect(speed).toContainText('prefill 850 tok/s');
  await expect(speed).toContainText('decode 42.5 tok/s');
  await expect(picker.getByTestId('webllm-speed')).toContainText('decode 42.5 tok/s');
  await expect(picker.getByTestId('webllm-sequential-cost')).toContainText('one after another');
  await expect(page.getByLabel('Verifier', { exact: true })).toContainText('LLM-as-judge PRM');
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText(
    'as judge (LLM-as-judge PRM)',
  );
  await screenshot(page, 'webllm-ready', info.project.name);

  await picker
    .getByTestId('webllm-ready')
    .getByRole('button', { name: 'Back to TinyMath' })
    .click();
  await expect(page.getByTestId('model-status')).toContainText('TinyMath on');
  await expect(page.getByLabel('Task', { exact: true })).toHaveValue('arith');
  await waitForRunPlayed(page);
  expect(errors).toEqual([]);
});

test('a WebLLM failure during a run (a lost GPU device) is explained, and TinyMath takes over', async ({
  page,
}, info) => {
  await useScriptedWebLLM(page, true);
  const errors = await openApp(page);
  await waitForRunPlayed(page);
  await openPicker(page);
  const picker = page.getByTestId('webllm-picker');
  await picker.getByRole('button', { name: 'Load Qwen2.5 0.5B Instruct' }).click();
  await expect(picker.getByTestId('webllm-ready')).toBeVisible();
  await page.getByRole('button', { name: 'Close the real models panel' }).click();

  const stage = page.getByRole('region', { name: /Main stage/ });
  const alert = stage.getByRole('alert');
  await expect(alert).toHaveAttribute('data-kind', 'device-lost', { timeout: 60_000 });
  await expect(alert).toContainText('The GPU gave up');
  await screenshot(page, 'webllm-run-error', info.project.name);
  await alert.getByRole('button', { name: 'Back to TinyMath' }).click();
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-active', 'tinymath');
  await expect(stage.getByRole('alert')).toHaveCount(0);
  await waitForRunPlayed(page);
  expect(errors).toEqual([]);
});
