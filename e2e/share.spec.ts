import { expect, test } from '@playwright/test';
import {
  currentTrace,
  exportTrace,
  finalAnswer,
  openApp,
  waitForNewTrace,
  waitForRunPlayed,
} from './helpers';

interface TraceFileJson {
  events: { type: string; id?: string; text?: string; answer?: string | null }[];
}

test('a shared link reproduces the same run: same node texts and final answer', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const first = await browser.newPage();
  const errors = await openApp(first, 'level=5&n=8&m=4&strategy=dvts&temp=1&seed=12345&speed=64');
  await waitForRunPlayed(first);
  const link = first.url();
  const answer = await finalAnswer(first).textContent();
  const a = JSON.parse((await exportTrace(first)).text) as TraceFileJson;

  // A fresh page (new worker, new model load) opened from the link alone.
  const second = await browser.newPage();
  const errors2 = await openApp(second, new URL(link).hash.slice(1));
  await waitForRunPlayed(second);
  expect(await finalAnswer(second).textContent()).toBe(answer);
  const b = JSON.parse((await exportTrace(second)).text) as TraceFileJson;

  const texts = (t: TraceFileJson) =>
    t.events.filter((e) => e.type === 'text_appended').map((e) => `${e.id}:${e.text}`);
  expect(texts(a).length).toBeGreaterThan(4);
  expect(texts(b)).toEqual(texts(a));
  expect(b.events).toEqual(a.events);

  // A different seed is a different run (the comparison above can fail). Level 5 at temperature 1:
  // the trained model errs on about one step in ten there (training/REPORT.md), so two seeds giving
  // identical trees is unlikely.
  const before = await currentTrace(second);
  await second.getByLabel('Seed', { exact: true }).fill('54321');
  await expect(second).toHaveURL(/seed=54321/);
  await waitForNewTrace(second, before);
  const c = JSON.parse((await exportTrace(second)).text) as TraceFileJson;
  expect(texts(c)).not.toEqual(texts(a));
  expect([...errors, ...errors2]).toEqual([]);
});
