import { expect, test } from '@playwright/test';
import { finalAnswer, openApp, waitForRunPlayed } from './helpers';

test('without WebGPU the notice names the reason and the run still finishes', async ({ page }) => {
  const errors = await openApp(page, 'level=1&n=4&strategy=best-of-n&speed=64');
  await expect(page.getByTestId('backend-notice')).toContainText(
    /(No WebGPU adapter|WebGPU is not available).*CPU/,
    {
      timeout: 60_000,
    },
  );
  await waitForRunPlayed(page);
  await expect(finalAnswer(page)).toBeVisible();
  expect(errors).toEqual([]);
});
