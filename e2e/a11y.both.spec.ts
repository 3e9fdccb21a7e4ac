import { expect, test } from '@playwright/test';
import { openApp, waitForRunPlayed } from './helpers';

/** Controls a person can operate, on the whole page (the sweep panel below the fold included). */
const CONTROLS = 'button, select, input, textarea, a[href], [tabindex]:not([tabindex="-1"])';

test('every control has an accessible name and is reachable with the Tab key', async ({ page }) => {
  const errors = await openApp(page, 'level=1&n=4&m=2&strategy=beam&speed=64');
  await waitForRunPlayed(page);

  // Accessible names, as Playwright's accessibility tree computes them.
  const controls = page.locator(CONTROLS);
  const count = await controls.count();
  expect(count).toBeGreaterThan(30);
  const unnamed: string[] = [];
  for (let i = 0; i < count; i++) {
    const el = controls.nth(i);
    if ((await el.getAttribute('tabindex')) === '-1' || !(await el.isVisible())) continue;
    const snapshot = await el.ariaSnapshot();
    // A named control's snapshot line reads `- role "name"` (YAML-quoted when the name has a colon).
    if (!/^- '?[\w-]+ "[^"]+"/.test(snapshot.trim())) unnamed.push(snapshot.split('\n')[0] ?? '?');
  }
  expect(unnamed).toEqual([]);

  // Walk the page with Tab and check every enabled, visible control gets focus.
  const ids = await page.evaluate((selector) => {
    const list = [...document.querySelectorAll<HTMLElement>(selector)].filter(
      (el) =>
        el.getAttribute('tabindex') !== '-1' &&
        !(el as HTMLButtonElement).disabled &&
        el.getClientRects().length > 0 &&
        // Only the first radio of a group is a Tab stop.
        !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked),
    );
    list.forEach((el, i) => el.setAttribute('data-a11y-id', String(i)));
    return list.length;
  }, CONTROLS);
  expect(ids).toBeGreaterThan(30);
  const reached = new Set<string>();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < ids + 20; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(
      () => document.activeElement?.getAttribute('data-a11y-id') ?? null,
    );
    if (id !== null) reached.add(id);
  }
  const missed = await page.evaluate(
    (seen) =>
      [...document.querySelectorAll<HTMLElement>('[data-a11y-id]')]
        .filter((el) => !seen.includes(el.getAttribute('data-a11y-id') ?? ''))
        .map((el) => el.outerHTML.slice(0, 120)),
    [...reached],
  );
  expect(missed).toEqual([]);
  expect(errors).toEqual([]);
});
