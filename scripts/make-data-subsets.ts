/**
 * Writes the benchmark problems the app ships under public/data/ from the reference data sets:
 *   public/data/gsm8k/test-subset.jsonl  200 GSM8K test problems, 40 per difficulty level
 *   public/data/math500/test.jsonl       all 500 MATH-500 problems
 * with each data set's LICENSE file next to it. Deterministic: the same input gives the same
 * files, so re-running it changes nothing.
 *
 * Usage: npx tsx scripts/make-data-subsets.ts [path/to/shared/data]   (default ../shared/data)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '../src/engine/random';
import { gsm8kLevel, gsm8kSolutionSteps, parseGsm8kJsonl } from '../src/tasks/gsm8k/gsm8k';
import { parseMath500Jsonl } from '../src/tasks/math500/math500';

const GSM8K_PER_LEVEL = 40;
const SEED = 20240806;

const source = resolve(process.argv[2] ?? '../shared/data');
const out = resolve('public/data');

function gsm8kSubset(): string {
  const lines = readFileSync(join(source, 'gsm8k-test.jsonl'), 'utf8').split('\n').filter(Boolean);
  const byLevel = new Map<number, number[]>();
  lines.forEach((line, index) => {
    const row = JSON.parse(line) as { answer: string };
    const level = gsm8kLevel(gsm8kSolutionSteps(row.answer).length);
    byLevel.set(level, [...(byLevel.get(level) ?? []), index]);
  });
  const chosen: number[] = [];
  for (let level = 1; level <= 5; level++) {
    const pool = [...(byLevel.get(level) ?? [])];
    const rng = new Rng(SEED + level);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
    }
    if (pool.length < GSM8K_PER_LEVEL)
      throw new Error(`GSM8K level ${level}: only ${pool.length} problems`);
    chosen.push(...pool.slice(0, GSM8K_PER_LEVEL));
  }
  chosen.sort((a, b) => a - b);
  const text = chosen
    .map((index) => {
      const row = JSON.parse(lines[index] as string) as { question: string; answer: string };
      return JSON.stringify({ index, question: row.question, answer: row.answer });
    })
    .join('\n');
  return `${text}\n`;
}

/** Copy a text file's content (not its read-only mode, so the copy can be regenerated). */
function copyText(from: string, to: string): void {
  writeFileSync(to, readFileSync(from, 'utf8'));
}

mkdirSync(join(out, 'gsm8k'), { recursive: true });
mkdirSync(join(out, 'math500'), { recursive: true });

const gsm8k = gsm8kSubset();
// Parse what we write, so a malformed file never ships.
const gsmProblems = parseGsm8kJsonl(gsm8k);
writeFileSync(join(out, 'gsm8k', 'test-subset.jsonl'), gsm8k);
copyText(join(source, 'LICENSE-gsm8k.txt'), join(out, 'gsm8k', 'LICENSE.txt'));

const math = readFileSync(join(source, 'math500.jsonl'), 'utf8');
const mathProblems = parseMath500Jsonl(math);
writeFileSync(join(out, 'math500', 'test.jsonl'), math.endsWith('\n') ? math : `${math}\n`);
copyText(join(source, 'LICENSE-math.txt'), join(out, 'math500', 'LICENSE.txt'));

const count = (ps: { level: number }[]) =>
  [1, 2, 3, 4, 5].map((l) => ps.filter((p) => p.level === l).length).join('/');
console.log(`GSM8K subset: ${gsmProblems.length} problems (per level ${count(gsmProblems)})`);
console.log(`MATH-500: ${mathProblems.length} problems (per level ${count(mathProblems)})`);
