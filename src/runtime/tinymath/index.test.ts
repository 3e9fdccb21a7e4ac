import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arithTask } from '../../tasks/arith/arith';
import { syntheticExport } from './fixtures';
import { parseExport } from './format';
import {
  GENERATOR_FOLDER,
  MODEL_FOLDERS,
  PRM_FOLDER,
  REVISION_FOLDER,
  createTinyMath,
  loadTinyMathFromDir,
  routesToRevision,
} from './index';
import { readExportDir } from './node-files';
import { EXPORT_PARENTS, REPO_ROOT } from './test-support';

const written: string[] = [];
afterAll(() => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

/**
 * Synthetic exports in a temporary folder, by default one per folder with its own role.
 * @param roles the role written into each folder (to swap them), or null to leave it out
 */
function writeExports(
  roles: Record<string, 'generator' | 'prm' | 'revision' | null> = {
    [GENERATOR_FOLDER]: 'generator',
    [PRM_FOLDER]: 'prm',
    [REVISION_FOLDER]: 'revision',
  },
): string {
  const root = mkdtempSync(join(tmpdir(), 'tinymath-'));
  written.push(root);
  for (const [i, [folder, role]] of Object.entries(roles).entries()) {
    if (role === null) continue;
    const seed = i + 1;
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
  it('loads the three models from disk and runs them on the CPU, reporting progress', async () => {
    const files: string[] = [];
    const tm = await loadTinyMathFromDir(writeExports(), {
      backend: 'cpu',
      onProgress: (p) => files.push(p.file),
    });
    expect(tm.backend).toBe('cpu');
    expect(tm.notice).toBeNull();
    expect(files.sort()).toEqual(
      MODEL_FOLDERS.flatMap((f) =>
        ['config.json', 'model.safetensors', 'tokenizer.json'].map((x) => `${f}/${x}`),
      ).sort(),
    );
    expect(tm.revision.id).toBe(REVISION_FOLDER);
    expect(tm.revision.backendName).toBe('cpu');
    expect(tm.generator.label).toMatch(/revision model/);
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

  it('requires the revision model, and names its file when it is missing', async () => {
    const dir = writeExports({
      [GENERATOR_FOLDER]: 'generator',
      [PRM_FOLDER]: 'prm',
      [REVISION_FOLDER]: null,
    });
    await expect(loadTinyMathFromDir(dir, { backend: 'cpu' })).rejects.toThrow(
      /^tinymath-rev\/config\.json: cannot read .*tinymath-rev\/config\.json/,
    );
  });

  it('names the folder of a swapped export, the first in the order generator, PRM, revision', async () => {
    // The generator where the revision model belongs (and the reverse).
    const swapped = writeExports({
      [GENERATOR_FOLDER]: 'revision',
      [PRM_FOLDER]: 'prm',
      [REVISION_FOLDER]: 'generator',
    });
    await expect(loadTinyMathFromDir(swapped, { backend: 'cpu' })).rejects.toThrow(
      /^tinymath-gen\/config\.json: ttc_lab\.role is "revision", expected "generator"/,
    );
    const revOnly = writeExports({
      [GENERATOR_FOLDER]: 'generator',
      [PRM_FOLDER]: 'prm',
      [REVISION_FOLDER]: 'generator',
    });
    await expect(loadTinyMathFromDir(revOnly, { backend: 'cpu' })).rejects.toThrow(
      /^tinymath-rev\/config\.json: ttc_lab\.role is "generator", expected "revision"/,
    );
    // A PRM missing as well as a bad revision model: the PRM's error comes first.
    const both = writeExports({
      [GENERATOR_FOLDER]: 'generator',
      [PRM_FOLDER]: null,
      [REVISION_FOLDER]: 'prm',
    });
    await expect(loadTinyMathFromDir(both, { backend: 'cpu' })).rejects.toThrow(
      /^tinymath-prm\/config\.json: cannot read/,
    );
  });

  it("createTinyMath refuses an export in another's place", async () => {
    const dir = writeExports();
    const read = async (folder: string) => parseExport(await readExportDir(join(dir, folder)));
    const [generator, prm, revision] = await Promise.all(MODEL_FOLDERS.map(read));
    await expect(
      createTinyMath({ generator: generator!, prm: prm!, revision: generator! }),
    ).rejects.toThrow(
      /tinymath-gen\/config\.json: ttc_lab\.role is "generator", expected "revision"/,
    );
    const tm = await createTinyMath(
      { generator: generator!, prm: prm!, revision: revision! },
      { backend: 'cpu' },
    );
    expect(tm.revision.role).toBe('revision');
    tm.dispose();
  });

  // Every real set of exports on disk loads, produces text in the arith format's alphabet, and
  // sends a revision prompt to its revision model. The app's own folder must hold all three; a
  // training export without a revision model (an older micro export) skips the three-model load
  // and checks its generator and PRM alone.
  for (const parent of EXPORT_PARENTS) {
    const dir = join(REPO_ROOT, parent);
    if (!has(dir, GENERATOR_FOLDER) || !has(dir, PRM_FOLDER)) continue;
    const shipped = parent === 'public/models';
    if (!shipped && !has(dir, REVISION_FOLDER)) {
      it.skip(`${parent}: has no ${REVISION_FOLDER}/ (no revision model exported there), so the three-model load is skipped`, () => {});
      it(`${parent}: its generator and PRM load and sample without a revision model`, async () => {
        const read = async (folder: string, role: 'generator' | 'prm') =>
          parseExport(await readExportDir(join(dir, folder)), role);
        const generator = await read(GENERATOR_FOLDER, 'generator');
        const prm = await read(PRM_FOLDER, 'prm');
        // The generator stands in for the missing revision model (same role checks otherwise).
        const stand = { ...generator, config: { ...generator.config, role: 'revision' as const } };
        const tm = await createTinyMath({ generator, prm, revision: stand }, { backend: 'cpu' });
        await samplesArith(tm.generator);
        tm.dispose();
      });
      continue;
    }
    it(`${parent}: loads the generator, revision model and PRM, samples, and routes revisions`, async () => {
      const tm = await loadTinyMathFromDir(dir, { backend: 'cpu' });
      await samplesArith(tm.generator);
      const problem = arithTask.sampleProblems(3, 1, 5)[0]!;
      const plain = arithTask.formatPrompt(problem);
      const revision = arithTask.formatPrompt(problem, ['1+1=2\nA:2\n']);
      expect([routesToRevision(plain), routesToRevision(revision)]).toEqual([false, true]);
      const request = {
        prompts: [revision, plain, revision],
        maxTokens: 60,
        temperature: 1,
        topP: 1,
        seed: 9,
      };
      const got = await tm.generator.generate(request);
      const byRevision = await tm.revision.generate(request);
      const byGenerator = await tm.generator.generator.generate(request);
      expect(got.map((c) => c.text)).toEqual([
        byRevision[0]!.text,
        byGenerator[1]!.text,
        byRevision[2]!.text,
      ]);
      tm.dispose();
    });
  }

  it('the shipped models (public/models) fit in 8 MB together', () => {
    const root = join(REPO_ROOT, 'public/models');
    let total = 0;
    for (const folder of readdirSync(root))
      for (const file of readdirSync(join(root, folder)))
        total += statSync(join(root, folder, file)).size;
    expect(MODEL_FOLDERS.every((f) => has(root, f))).toBe(true);
    expect(total).toBeLessThanOrEqual(8_000_000);
  });
});

function has(dir: string, folder: string): boolean {
  return existsSync(join(dir, folder, 'model.safetensors'));
}

async function samplesArith(model: {
  generate: (r: import('../../engine/types').GenerateRequest) => Promise<{ text: string }[]>;
}): Promise<void> {
  const problem = arithTask.sampleProblems(1, 1, 3)[0]!;
  const [c] = await model.generate({
    prompts: [arithTask.formatPrompt(problem)],
    maxTokens: 40,
    temperature: 0,
    topP: 1,
    seed: 0,
  });
  expect(c!.text).toMatch(/^[0-9+\-*=\n:QA?,]*$/);
}
