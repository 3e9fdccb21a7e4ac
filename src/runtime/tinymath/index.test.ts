import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arithTask } from '../../tasks/arith/arith';
import { syntheticExport } from './fixtures';
import { GENERATOR_FOLDER, PRM_FOLDER, loadTinyMathFromDir } from './index';
import { EXPORT_PARENTS, REPO_ROOT } from './test-support';

const written: string[] = [];
afterAll(() => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

function writeExports(): string {
  const root = mkdtempSync(join(tmpdir(), 'tinymath-'));
  written.push(root);
  for (const [folder, role, seed] of [
    [GENERATOR_FOLDER, 'generator', 1],
    [PRM_FOLDER, 'prm', 2],
  ] as const) {
    const e = syntheticExport(
      { nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 64, role },
      seed,
      folder,
    );
    mkdirSync(join(root, folder));
    writeFileSync(join(root, folder, 'config.json'), e.config);
    writeFileSync(join(root, folder, 'tokenizer.json'), e.tokenizer);
    writeFileSync(join(root, folder, 'model.safetensors'), e.safetensors as Uint8Array);
  }
  return root;
}

describe('loadTinyMathFromDir', () => {
  it('loads both models from disk and runs them on the CPU, reporting progress', async () => {
    const files: string[] = [];
    const tm = await loadTinyMathFromDir(writeExports(), {
      backend: 'cpu',
      onProgress: (p) => files.push(p.file),
    });
    expect(tm.backend).toBe('cpu');
    expect(tm.notice).toBeNull();
    expect(files).toHaveLength(6);
    const problem = arithTask.sampleProblems(2, 1, 1)[0]!;
    const out = await tm.generator.generate({
      prompts: [arithTask.formatPrompt(problem)],
      maxTokens: 8,
      temperature: 0.5,
      topP: 0.9,
      seed: 2,
    });
    expect(out[0]!.promptTokens).toBe(arithTask.formatPrompt(problem).length);
    const [scores] = await tm.prm.scoreSteps([{ problem, steps: ['1+1=2', 'A:2'] }]);
    expect(scores!.stepScores).toHaveLength(2);
    expect(tm.generator.parameterCount).toBeGreaterThan(0);
    tm.dispose();
  });

  it('names the missing file', async () => {
    await expect(loadTinyMathFromDir(join(tmpdir(), 'no-such-tinymath'))).rejects.toThrow(
      /tinymath-gen\/config\.json: cannot read/,
    );
  });

  // Every real export pair on disk loads and produces text in the arith format's alphabet.
  for (const parent of EXPORT_PARENTS) {
    const dir = join(REPO_ROOT, parent);
    it.runIf(hasPair(dir))(`${parent}: loads and samples`, async () => {
      const tm = await loadTinyMathFromDir(dir, { backend: 'cpu' });
      const problem = arithTask.sampleProblems(1, 1, 3)[0]!;
      const [c] = await tm.generator.generate({
        prompts: [arithTask.formatPrompt(problem)],
        maxTokens: 40,
        temperature: 0,
        topP: 1,
        seed: 0,
      });
      expect(c!.text).toMatch(/^[0-9+\-*=\n:QA?,]*$/);
      tm.dispose();
    });
  }
});

function hasPair(dir: string): boolean {
  return [GENERATOR_FOLDER, PRM_FOLDER].every((f) => existsSync(join(dir, f, 'model.safetensors')));
}
