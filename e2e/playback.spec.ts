import { expect, test } from '@playwright/test';
import { openApp, playbackCounter, waitForRunPlayed } from './helpers';

test('playback: buttons, scrubber and keyboard', async ({ page }) => {
  const errors = await openApp(page);
  await waitForRunPlayed(page);
  const { total } = await playbackCounter(page);
  expect(total).toBeGreaterThan(10);

  // Step back with the button, then with the left arrow key.
  await page.getByRole('button', { name: 'Step back' }).click();
  expect((await playbackCounter(page)).cursor).toBe(total - 1);
  await page.locator('body').click({ position: { x: 5, y: 700 } });
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  expect((await playbackCounter(page)).cursor).toBe(total - 3);
  await page.keyboard.press('ArrowRight');
  expect((await playbackCounter(page)).cursor).toBe(total - 2);
  await page.getByRole('button', { name: 'Step forward' }).click();
  expect((await playbackCounter(page)).cursor).toBe(total - 1);

  // Scrub to the start: nothing but the run header is shown.
  await page.getByRole('slider', { name: 'Playback position' }).fill('0');
  expect((await playbackCounter(page)).cursor).toBe(0);
  await expect(page.getByTestId('final-answer')).toHaveCount(0);

  // Space plays from there at the current speed, and pauses again.
  await page.locator('body').click({ position: { x: 5, y: 700 } });
  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect.poll(async () => (await playbackCounter(page)).cursor).toBeGreaterThan(0);
  await waitForRunPlayed(page);
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  expect((await playbackCounter(page)).cursor).toBe(total);

  // Slow speed: play, then pause with the button; the cursor stops moving.
  await page.getByLabel('Speed').selectOption('0.25');
  await page.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => (await playbackCounter(page)).cursor).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Pause' }).click();
  const paused = (await playbackCounter(page)).cursor;
  await page.waitForTimeout(500);
  expect((await playbackCounter(page)).cursor).toBe(paused);
  expect(paused).toBeLessThan(total);
  expect(errors).toEqual([]);
});
