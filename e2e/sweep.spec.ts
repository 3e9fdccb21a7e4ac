import { expect, test } from '@playwright/test';
import { openApp, screenshot } from './helpers';

test('a short sweep runs with progress, plots, can be cancelled, and survives a reload', async ({
  page,
}, info) => {
  test.setTimeout(240_000);
  // A quick trace run first, so the sweep has the worker mostly to itself.
  const errors = await openApp(page, 'level=1&n=2&strategy=best-of-n&speed=64');
  const plots = page.getByRole('region', { name: 'Accuracy against compute' }).first();
  await page.getByRole('button', { name: 'Accuracy vs compute ↓' }).click();

  // Small sweep: level 4 (pass@1 0.72 on average: the curves rise and part), 4 problems, N up to 8,
  // best-of-N only.
  const levels = page.getByRole('group', { name: 'Levels' });
  for (const l of ['Level 1', 'Level 2', 'Level 3'])
    await levels.getByLabel(l, { exact: true }).uncheck();
  await levels.getByLabel('Level 4', { exact: true }).check();
  const strategies = page.getByRole('group', { name: 'Strategies' });
  await strategies.getByLabel('PRM beam search').uncheck();
  await page.getByLabel('Problems per level').fill('4');
  await page.getByLabel('Largest budget N').selectOption('8');
  await page.getByRole('button', { name: 'Run sweep' }).click();

  const status = page.getByTestId('sweep-status');
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  await expect(status).toContainText('4 / 4');
  expect(
    await page.getByTestId('sweep-progress').evaluate((el) => (el as HTMLProgressElement).value),
  ).toBe(4);
  const figure = page.getByTestId('sweep-figure');
  await expect(figure.locator('svg').first()).toBeVisible();
  await expect(figure).toContainText('Best-of-N weighted');

  // Unit switch redraws the axis.
  await page.getByRole('radio', { name: 'Tokens' }).check();
  await expect(figure).toContainText(/token/i);
  await plots.scrollIntoViewIfNeeded();
  await screenshot(page, 'sweep-done', info.project.name);

  // A much larger sweep (every level, tree search up to N=32), cancelled once it has made progress.
  for (const l of ['Level 1', 'Level 2', 'Level 3', 'Level 5'])
    await levels.getByLabel(l, { exact: true }).check();
  await strategies.getByLabel('PRM beam search').check();
  await strategies.getByLabel('Lookahead search').check();
  await page.getByLabel('Problems per level').fill('20');
  await page.getByLabel('Largest budget N').selectOption('32');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(status).toHaveAttribute('data-status', 'running');
  await expect(status).toContainText(/Running: [1-9]\d* \/ \d+/, { timeout: 60_000 });
  // On the CPU path a sweep is split over as many workers as the machine has cores (up to 8).
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (cores >= 2) await expect(status).toContainText(/ · \d workers/);
  await page.getByRole('button', { name: 'Cancel sweep' }).click();
  await expect(status).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
  const doneText = (await status.textContent()) ?? '';
  const [, done, total] = (/(\d+) \/ (\d+)/.exec(doneText) ?? []).map(Number);
  expect(done).toBeGreaterThan(0);
  expect(done).toBeLessThan(total!);

  // Reload: the stored results come back without running anything.
  await page.reload();
  await expect(status).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
  await expect(status).toContainText(`${done} / ${total}`);
  await expect(figure.locator('svg').first()).toBeVisible();
  expect(errors).toEqual([]);
});
