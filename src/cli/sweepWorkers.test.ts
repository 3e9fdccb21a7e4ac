import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from './main';

const dir = mkdtempSync(join(tmpdir(), 'ttc-sweep-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records of a JSONL file, keyed, in a canonical order. */
function recordsOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) =>
      JSON.stringify(JSON.parse(l) as object, Object.keys(JSON.parse(l) as object).sort()),
    )
    .sort();
}

async function sweep(name: string, extra: string[]): Promise<number> {
  return main([
    'sweep',
    '--levels',
    '1-2',
    '--per-level',
    '2',
    '--nmax',
    '2',
    '--settings',
    'bon,maj,beam2',
    '--out',
    join(dir, `${name}.jsonl`),
    '--summary',
    join(dir, `${name}-summary.json`),
    ...extra,
  ]);
}

describe('sweep --jobs', () => {
  it('writes the same records and summary with 2 worker threads as with one', async () => {
    const quiet = [
      vi.spyOn(console, 'log').mockImplementation(() => {}),
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
    ];
    try {
      expect(await sweep('one', [])).toBe(0);
      expect(await sweep('two', ['--jobs', '2'])).toBe(0);
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    const one = recordsOf(join(dir, 'one.jsonl'));
    expect(one.length).toBeGreaterThan(4);
    expect(recordsOf(join(dir, 'two.jsonl'))).toEqual(one);
    expect(readFileSync(join(dir, 'two-summary.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'one-summary.json'), 'utf8'),
    );
  }, 120_000);

  it("reports a worker's error, naming the worker", async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    try {
      expect(await sweep('bad', ['--jobs', '2', '--models', join(dir, 'no-models')])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toMatch(/error: worker \d of 2: no TinyMath exports at/);
  }, 60_000);
});
