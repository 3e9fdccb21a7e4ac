import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { findExportDirs } from '../src/runtime/tinymath/test-support';

/**
 * The WebGPU kernels in headless Chromium (SwiftShader), forced on, against PyTorch's golden
 * logits for every export found on disk, plus a synthetic model against the CPU path and its
 * sampling in the kernel against sampling the same logits on the host, with the fused decode and
 * with the layered one. The revision model runs on the generator's kernels, as in the app.
 * Exports are served from disk through a route, so training/out/micro works without copying.
 */
const exportsFound = findExportDirs();
const FILES = new Set(['config.json', 'tokenizer.json', 'model.safetensors', 'golden.json']);

test('TinyMath WebGPU kernels match the golden logits in Chromium', async ({ page }) => {
  test.setTimeout(240_000);
  if (process.env['CI'] === 'true') {
    expect(
      exportsFound.length,
      'no TinyMath export under public/models or training/out/micro',
    ).toBeGreaterThan(0);
  }
  await page.route('**/__tinymath_exports/**', async (route) => {
    const m = /__tinymath_exports\/(\d+)\/[^/]+\/([^/?]+)/.exec(route.request().url());
    const dir = m ? exportsFound[Number(m[1])] : undefined;
    if (!m || !dir || !FILES.has(m[2]!)) return route.fulfill({ status: 404, body: 'not found' });
    const body = readFileSync(join(dir.dir, m[2]!));
    return route.fulfill({
      status: 200,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
  });
  // Folder names keep the export's own name (tinymath-gen...) for the page's messages.
  const models = exportsFound
    .map((d, i) => `__tinymath_exports/${i}/${d.dir.split('/').pop()}/`)
    .join(',');
  await page.goto(`parity.html?inputs=1&models=${encodeURIComponent(models)}`);
  await page.waitForFunction(() => window.__tinymathParity?.done === true, undefined, {
    timeout: 220_000,
  });
  const report = await page.evaluate(() => window.__tinymathParity!);
  console.log(await page.locator('#result').textContent());
  expect(report.error).toBeNull();
  // Each export, then the synthetic model's fused and layered decodes, each with its sampling.
  expect(report.cases).toHaveLength(exportsFound.length + 4);
  // A revision model listed after its generator runs on the generator's kernels, as in the app
  // (the shipped tinymath-rev has tinymath-gen's shape).
  const revisionCases = report.cases.filter((c) => c.name.startsWith('tinymath-rev '));
  expect(revisionCases.length).toBe(exportsFound.filter((d) => d.role === 'revision').length);
  if (exportsFound.some((d) => d.label === 'public/models/tinymath-rev'))
    expect(revisionCases.some((c) => /on tinymath-gen's kernels/.test(c.name))).toBe(true);
  for (const c of report.cases) expect(c.maxAbsDiff, c.name).toBeLessThanOrEqual(c.tolerance);
  expect(report.ok).toBe(true);
});
