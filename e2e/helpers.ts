import { expect, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { collectErrors } from './console';

/**
 * Settings for quick end-to-end runs: easy problems, a small budget and fast playback, because
 * the browser runs TinyMath on its CPU path (or SwiftShader) and the suite must stay short.
 */
export const QUICK = 'level=2&n=4&m=2&speed=64&seed=3';

/** Open the app at a settings hash and collect console errors. */
export async function openApp(page: Page, hash = QUICK): Promise<string[]> {
  const errors = collectErrors(page);
  await page.goto(`/#${hash}`);
  await expect(page.getByRole('heading', { name: /ttc-lab/i })).toBeVisible();
  return errors;
}

export const runStatus = (page: Page) => page.getByTestId('run-status');

/** Wait until the run has finished and playback has shown all of it. */
export async function waitForRunPlayed(page: Page, timeout = 90_000): Promise<void> {
  await expect(runStatus(page)).toHaveAttribute('data-status', 'completed', { timeout });
  await expect(runStatus(page)).toHaveAttribute('data-at-end', 'true', { timeout });
}

/**
 * Which trace is on screen (a live run's id, or the file's name); changes when a new run starts.
 * Use with waitForNewTrace: a quick run can start and finish between two polls.
 */
export async function currentTrace(page: Page): Promise<string> {
  return (await runStatus(page).getAttribute('data-trace')) ?? '';
}

/** Wait for a trace other than `previous` to be on screen and fully played. */
export async function waitForNewTrace(
  page: Page,
  previous: string,
  timeout = 90_000,
): Promise<void> {
  await expect(runStatus(page)).not.toHaveAttribute('data-trace', previous, { timeout });
  await waitForRunPlayed(page, timeout);
}

/** The final answer line in the inspector ("151 ✓ correct"). */
export const finalAnswer = (page: Page) => page.getByTestId('final-answer');

/** Playback counter "cursor / total" as numbers. */
export async function playbackCounter(page: Page): Promise<{ cursor: number; total: number }> {
  const text = (await page.getByTestId('event-counter').textContent()) ?? '';
  const m = /(\d+)\s*\/\s*(\d+)/.exec(text);
  if (!m) throw new Error(`unexpected counter text ${JSON.stringify(text)}`);
  return { cursor: Number(m[1]), total: Number(m[2]) };
}

/** Click "Export trace" and return the downloaded file's text and path. */
export async function exportTrace(
  page: Page,
): Promise<{ text: string; path: string; name: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export trace' }).click(),
  ]);
  const path = await download.path();
  return { text: await readFile(path, 'utf8'), path, name: download.suggestedFilename() };
}

/** Save a screenshot for people to look at (e2e/screenshots is git-ignored). */
export async function screenshot(page: Page, name: string, project: string): Promise<void> {
  await page.screenshot({ path: `e2e/screenshots/${name}-${project}.png` });
}
