import { expect, test } from '@playwright/test';
import { openApp, waitForRunPlayed } from './helpers';

test('clicking a tree node shows its full text, scores and tokens in the inspector', async ({
  page,
}) => {
  const errors = await openApp(page, 'level=2&n=4&m=2&speed=64&seed=5&strategy=beam');
  await waitForRunPlayed(page);
  const node = page.locator('g.tv-node').nth(2);
  const title = (await node.locator('title').textContent()) ?? '';
  await node.click();
  const text = page.getByTestId('inspector-text');
  await expect(text).toBeVisible();
  const shown = (await text.textContent()) ?? '';
  expect(shown.trim().length).toBeGreaterThan(0);
  // The tree's tooltip holds the node's text; the inspector shows the same text in full.
  expect(title).toContain(shown.trim().split('\n')[0]);
  await expect(page.getByTestId('inspector-step-scores')).toContainText(/\d\.\d\d/);
  await expect(page.getByRole('region', { name: 'Selected node' })).toContainText(/on the path/);
  expect(errors).toEqual([]);
});

test('clicking a best-of-N lane shows that sample in the inspector', async ({ page }) => {
  const errors = await openApp(page, 'level=1&n=4&speed=64&seed=6&strategy=best-of-n');
  await waitForRunPlayed(page);
  await page.getByRole('button', { name: /^Sample 2\b/ }).click();
  await expect(page.getByRole('region', { name: 'Selected node' })).toContainText('sample 2');
  await expect(page.getByTestId('inspector-text')).not.toHaveText('(no text yet)');
  expect(errors).toEqual([]);
});
