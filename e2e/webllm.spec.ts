import { expect, test, type Page } from '@playwright/test';
import { openApp, runStatus, waitForRunPlayed } from './helpers';

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
const PICKER_MOUNTED = false;

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
}) => {
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
  await picker.getByRole('button', { name: 'Load SmolLM2 360M Instruct' }).click();

  const alert = picker.getByRole('alert');
  await expect(alert).toContainText('The download failed', { timeout: 90_000 });
  await expect(alert).toContainText(/network/i);
  await expect(alert).toHaveAttribute('data-kind', 'network');
  expect(blocked.length).toBeGreaterThan(0);

  await alert.getByRole('button', { name: 'Back to TinyMath' }).click();
  await expect(picker.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('model-status')).toContainText('TinyMath on');

  await page.getByRole('button', { name: 'Run again' }).click();
  await expect(runStatus(page)).toHaveAttribute('data-status', /running|completed/);
  await waitForRunPlayed(page);
  expect(errors).toEqual([]);
});
