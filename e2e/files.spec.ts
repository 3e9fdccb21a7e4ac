import { expect, test, type Page } from '@playwright/test';
import {
  currentTrace,
  exportTrace,
  finalAnswer,
  openApp,
  playbackCounter,
  screenshot,
  waitForNewTrace,
  waitForRunPlayed,
} from './helpers';

/** Drop a file on the page the way a browser does (DataTransfer with one File). */
async function dropFile(page: Page, name: string, text: string) {
  const dataTransfer = await page.evaluateHandle(
    ({ name, text }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: 'application/json' }));
      return dt;
    },
    { name, text },
  );
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('body', type, { dataTransfer });
  }
}

test('export a trace, then import it by file picker and by drag and drop: it replays', async ({
  page,
}, info) => {
  test.setTimeout(180_000);
  const errors = await openApp(page, 'level=2&n=4&strategy=best-of-n&seed=21&speed=64');
  await waitForRunPlayed(page);
  const answer = await finalAnswer(page).textContent();
  const { total } = await playbackCounter(page);
  const exported = await exportTrace(page);
  expect(exported.name).toMatch(/^ttc-lab-best-of-n-arith-L2-\d+-seed21\.json$/);

  // Something else on screen first, so the import visibly replaces it.
  let trace = await currentTrace(page);
  await page.getByLabel('Strategy', { exact: true }).selectOption('beam');
  await waitForNewTrace(page, trace);
  await expect(page.getByRole('region', { name: 'Main stage' })).toHaveAttribute(
    'data-view',
    'beam-tree',
  );

  trace = await currentTrace(page);
  await page.getByTestId('trace-file-input').setInputFiles(exported.path);
  await waitForNewTrace(page, trace);
  await expect(page.getByRole('region', { name: 'Main stage' })).toHaveAttribute(
    'data-view',
    'best-of-n',
  );
  await expect(page.getByTestId('run-status')).toContainText('file:');
  expect(await finalAnswer(page).textContent()).toBe(answer);
  expect((await playbackCounter(page)).total).toBe(total);

  trace = await currentTrace(page);
  await page.getByLabel('Strategy', { exact: true }).selectOption('revisions');
  await waitForNewTrace(page, trace);
  trace = await currentTrace(page);
  await dropFile(page, 'dropped.json', exported.text);
  await waitForNewTrace(page, trace);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-trace', 'file:dropped.json');
  expect(await finalAnswer(page).textContent()).toBe(answer);
  await screenshot(page, 'imported', info.project.name);
  expect(errors).toEqual([]);
});

test('a malformed or foreign file shows a clear error and keeps the current view', async ({
  page,
}, info) => {
  const errors = await openApp(page, 'level=1&n=4&m=2&strategy=beam&seed=8&speed=64');
  await waitForRunPlayed(page);
  const answer = await finalAnswer(page).textContent();
  const counter = await playbackCounter(page);

  await page.getByTestId('trace-file-input').setInputFiles({
    name: 'notes.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"title": "my shopping list", "items": [1, 2]}'),
  });
  const alert = page.getByTestId('notice-error');
  await expect(alert).toContainText('Could not open "notes.json"');
  await expect(alert).toHaveAttribute('role', 'alert');
  await screenshot(page, 'import-error', info.project.name);

  await dropFile(page, 'broken.json', '{"format": "ttc-lab-trace", "version": 1, "events": [');
  await expect(page.getByText('Could not open "broken.json"')).toBeVisible();

  // The view is exactly as before.
  await expect(page.getByRole('region', { name: 'Main stage' })).toHaveAttribute(
    'data-view',
    'beam-tree',
  );
  expect(await finalAnswer(page).textContent()).toBe(answer);
  expect(await playbackCounter(page)).toEqual(counter);
  // The errors are shown to the user, not thrown: the console stays clean.
  expect(errors).toEqual([]);
});
