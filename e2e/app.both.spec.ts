import { expect, test } from '@playwright/test';
import { finalAnswer, openApp, screenshot, waitForRunPlayed } from './helpers';
import { collectErrors } from './console';

test('the default run starts by itself, plays and finishes with an answer', async ({
  page,
}, info) => {
  const errors = collectErrors(page);
  // Only the playback speed differs from a fresh visit, so this is the page's own default run.
  await page.goto('/#speed=64');
  await expect(page.getByTestId('model-status')).toContainText('TinyMath on', { timeout: 60_000 });
  // The run settings name the three embedded models; the header's line does too (in full where
  // it has room, in its title always), and fits the header.
  await expect(page.getByText('Models: TinyMath generator, revision model and PRM.')).toBeVisible();
  const models = page.getByTestId('tinymath-models');
  await expect(models).toContainText('generator, revision model and PRM');
  await expect(models).toHaveAttribute(
    'title',
    /^TinyMath generator, revision model and PRM, on the (CPU|WebGPU)$/,
  );
  const header = await page.locator('.app-header').boundingBox();
  const line = await models.boundingBox();
  expect(line!.y + line!.height).toBeLessThanOrEqual(header!.y + header!.height);
  await waitForRunPlayed(page);
  await expect(finalAnswer(page)).toContainText(/\d|no answer/);
  await expect(page.getByTestId('problem-text')).toContainText('Start with');
  // The URL now carries every setting, so the page can be shared as it is.
  expect(new URL(page.url()).hash).toMatch(/strategy=beam.*seed=1/);
  await screenshot(page, 'default-run', info.project.name);
  expect(errors).toEqual([]);
});

test('a run on the CPU path says so and completes', async ({ page }, info) => {
  const errors = await openApp(page);
  // SwiftShader is a software adapter, so both projects use the CPU path and show why.
  await expect(page.getByTestId('backend-notice')).toContainText(/CPU/, { timeout: 60_000 });
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-backend', 'cpu');
  await waitForRunPlayed(page);
  // The header shows one cut line; a click opens the whole notice, wrapped, below it.
  const full = page.locator('.backend-notice-full');
  await expect(full).toBeHidden();
  await page.getByTestId('backend-notice').locator('summary').click();
  await expect(full).toBeVisible();
  await expect(full).toContainText(/TinyMath runs on the CPU\.$/);
  // Nothing of it is cut: the text fits its box (the summary's does not, hence the ellipsis).
  expect(await full.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  await screenshot(page, 'cpu-notice', info.project.name);
  await page.getByTestId('backend-notice').locator('summary').click();
  await expect(full).toBeHidden();
  // Opened again, it closes on a click elsewhere and on Escape.
  await page.getByTestId('backend-notice').locator('summary').click();
  await expect(full).toBeVisible();
  await page.getByRole('heading', { name: 'Inspector' }).click();
  await expect(full).toBeHidden();
  await page.getByTestId('backend-notice').locator('summary').click();
  await expect(full).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(full).toBeHidden();
  expect(errors).toEqual([]);
});
