import { expect, test } from '@playwright/test';
import { currentTrace, openApp, screenshot, waitForNewTrace, waitForRunPlayed } from './helpers';

const stage = (page: import('@playwright/test').Page) =>
  page.getByRole('region', { name: 'Main stage' });

test('each strategy renders its own view', async ({ page }, info) => {
  test.setTimeout(240_000);
  const errors = await openApp(
    page,
    'level=1&n=4&m=2&k=1&chains=2&speed=64&seed=2&strategy=best-of-n',
  );
  const strategy = page.getByLabel('Strategy', { exact: true });

  await waitForRunPlayed(page);
  await expect(stage(page)).toHaveAttribute('data-view', 'best-of-n');
  await expect(page.getByRole('button', { name: /^Sample 1\b/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Sample \d/ })).toHaveCount(4);
  await screenshot(page, 'view-best-of-n', info.project.name);

  let trace = await currentTrace(page);
  await strategy.selectOption('revisions');
  await waitForNewTrace(page, trace);
  await expect(stage(page)).toHaveAttribute('data-view', 'revisions');
  await expect(page.getByRole('listitem', { name: 'Chain 1' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: /^Chain \d/ })).toHaveCount(2);
  // Revisions are written by the revision model, and the run summary says so.
  await expect(page.getByRole('region', { name: 'Run summary' })).toContainText(
    /TinyMath [\d.]+M \+ revision model [\d.]+M/,
  );
  await screenshot(page, 'view-revisions', info.project.name);

  for (const kind of ['beam', 'lookahead', 'dvts'] as const) {
    trace = await currentTrace(page);
    await strategy.selectOption(kind);
    await waitForNewTrace(page, trace);
    await expect(stage(page)).toHaveAttribute('data-view', 'beam-tree');
    await expect(page).toHaveURL(new RegExp(`strategy=${kind}`));
    const tree = stage(page).getByRole('application');
    await expect(tree).toBeVisible();
    await expect(tree.locator('g.tv-node').first()).toBeVisible();
    await screenshot(page, `view-${kind}`, info.project.name);
  }
  expect(errors).toEqual([]);
});

test('presentation mode enlarges the type and stays readable at 1280x720', async ({
  page,
}, info) => {
  const errors = await openApp(page, 'level=2&n=8&m=4&speed=64&seed=4');
  await waitForRunPlayed(page);
  const size = () =>
    page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  const before = await size();
  const toggle = page.getByRole('button', { name: 'Presentation mode' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  expect(await size()).toBeGreaterThan(before * 1.2);
  await expect(page).toHaveURL(/present=1/);
  await screenshot(page, 'presentation', info.project.name);
  expect(errors).toEqual([]);
});

test('the hardest level: long chains stay readable in the revisions view and the beam tree', async ({
  page,
}, info) => {
  test.setTimeout(240_000);
  const errors = await openApp(page, 'level=7&n=4&chains=2&m=2&speed=64&seed=3&strategy=revisions');
  await waitForRunPlayed(page);
  await expect(page.getByLabel('Difficulty level')).toHaveValue('7');
  await expect(stage(page)).toHaveAttribute('data-view', 'revisions');
  await expect(page.getByRole('listitem', { name: /^Chain \d/ })).toHaveCount(2);
  // Both chains fit beside the vote at 1280 px: nothing is cut off or hidden behind a scroll.
  const chains = stage(page).getByRole('list', { name: 'Chains' });
  const overflow = await chains.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await screenshot(page, 'level7-revisions', info.project.name);

  const trace = await currentTrace(page);
  await page.getByLabel('Strategy', { exact: true }).selectOption('beam');
  await waitForNewTrace(page, trace);
  const tree = stage(page).getByRole('application');
  await expect(tree).toBeVisible();
  // Sixteen operations and the answer line: at least one node per step.
  expect(await tree.locator('g.tv-node').count()).toBeGreaterThanOrEqual(17);
  await screenshot(page, 'level7-beam', info.project.name);
  expect(errors).toEqual([]);
});
