import { expect, test } from '@playwright/test';
import { collectErrors } from './console';

test('the built app opens, shows ttc-lab and logs no console error', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await expect(page).toHaveTitle(/ttc-lab/);
  await expect(page.getByRole('heading', { name: /ttc-lab/i })).toBeVisible();
  // Let start-up work (model loading, the first run) happen before judging the console.
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `e2e/screenshots/smoke-${testInfo.project.name}.png` });
  expect(errors).toEqual([]);
});

test('WebGPU is exposed in the webgpu project and absent in no-webgpu', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  const hasAdapter = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return false;
    return (await gpu.requestAdapter()) !== null;
  });
  expect(hasAdapter).toBe(testInfo.project.name === 'webgpu');
});
