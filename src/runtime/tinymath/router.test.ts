import { describe, expect, it } from 'vitest';
import type { Completion, GenerateRequest } from '../../engine/types';
import { arithTask, makeArithProblem } from '../../tasks/arith/arith';
import type { DecoderBackend } from './backend';
import { CpuBackend } from './cpu';
import { syntheticExport } from './fixtures';
import { parseExport, promptPositions, type TinyMathExport } from './format';
import { TinyMathModel, type BackendSource, type ModelRole } from './model';
import { RoutedGenerator, routesToRevision } from './router';

const SHAPE = { nEmbd: 32, nLayer: 2, nHead: 2, nPositions: 160, scale: 0.8 };
const gen = parseExport(syntheticExport(SHAPE, 11, 'tinymath-gen'), 'generator');
const rev = parseExport(
  syntheticExport({ ...SHAPE, role: 'revision' }, 12, 'tinymath-rev'),
  'revision',
);

/** CPU backends by role; `wrap` may replace one (to count or interrupt its calls). */
function cpuSource(
  wrap: (role: ModelRole, b: DecoderBackend) => DecoderBackend = (_, b) => b,
): BackendSource {
  const backends = new Map<ModelRole, DecoderBackend>(
    [gen, rev].map((e) => [
      e.config.role,
      wrap(e.config.role, new CpuBackend(e.config, e.weights)),
    ]),
  );
  return { backend: (role) => backends.get(role)!, failed: (e) => e };
}

function routed(source = cpuSource()): RoutedGenerator {
  return new RoutedGenerator(new TinyMathModel(gen, source), new TinyMathModel(rev, source));
}

/** One model alone, as a whole-batch call would run it (its own backends). */
function alone(e: TinyMathExport): TinyMathModel {
  return new TinyMathModel(e, cpuSource());
}

const problem = makeArithProblem(2, 7);
const plainPrompt = arithTask.formatPrompt(problem);
const revisionPrompt = arithTask.formatPrompt(problem, ['5+3=8\nA:8\n']);
const twoAttempts = arithTask.formatPrompt(problem, ['5+3=8\nA:8\n', '5-3=2\nA:2\n']);
const otherPlain = arithTask.formatPrompt(makeArithProblem(1, 3));
const request: GenerateRequest = {
  prompts: [],
  maxTokens: 24,
  temperature: 1,
  topP: 0.95,
  seed: 17,
  logprobs: true,
};

const summary = (c: Completion) => ({
  text: c.text,
  finish: c.finishReason,
  tokens: c.completionTokens,
  prompt: c.promptTokens,
  logprobs: c.tokenLogprobs,
});

describe('routing prompts between the generator and the revision model', () => {
  it('sends exactly the prompts with an earlier attempt to the revision model', () => {
    expect(routesToRevision(plainPrompt)).toBe(false);
    expect(routesToRevision(otherPlain)).toBe(false);
    expect(routesToRevision(revisionPrompt)).toBe(true);
    expect(routesToRevision(twoAttempts)).toBe(true);
    // A tree search's partial solution is a plain prompt, even with minus signs in it.
    expect(routesToRevision(`${arithTask.formatPrompt(makeArithProblem(1, 9))}-5+3=-2\n`)).toBe(
      false,
    );
    // The same rule as the positions: a revision prompt's question does not start at 0.
    for (const p of [plainPrompt, revisionPrompt, twoAttempts, otherPlain])
      expect(promptPositions([...p])[0] !== 0).toBe(routesToRevision(p));
  });

  it("a revision prompt gets the revision model's completion, a plain prompt the generator's", async () => {
    const model = routed();
    for (const [prompt, owner, other] of [
      [revisionPrompt, rev, gen],
      [plainPrompt, gen, rev],
    ] as const) {
      const full = { ...request, prompts: [prompt, prompt, prompt] };
      const got = (await model.generate(full)).map(summary);
      expect(got).toEqual((await alone(owner).generate(full)).map(summary));
      // The other model writes something else from the same seeds: the test can tell them apart.
      expect(got).not.toEqual((await alone(other).generate(full)).map(summary));
    }
  });

  it('a mixed batch gives every prompt what a one-model call gives it at that index and seed', async () => {
    // Plain and revision prompts interleaved, with repeats (shared prefills) of each kind.
    const prompts = [
      plainPrompt,
      revisionPrompt,
      otherPlain,
      twoAttempts,
      revisionPrompt,
      plainPrompt,
      twoAttempts,
    ];
    for (const temperature of [1, 0.7, 0]) {
      const full = { ...request, prompts, temperature, stop: temperature === 0 ? ['\n'] : [] };
      const got = await routed().generate(full);
      expect(got).toHaveLength(prompts.length);
      const byGenerator = await alone(gen).generate(full);
      const byRevision = await alone(rev).generate(full);
      prompts.forEach((p, i) => {
        const expected = routesToRevision(p) ? byRevision[i]! : byGenerator[i]!;
        expect(summary(got[i]!), `prompt ${i}`).toEqual(summary(expected));
      });
      if (temperature > 0) {
        // The seed is the index's: the same prompt at another index samples other text...
        expect(got[1]!.text).not.toBe(got[4]!.text);
        // ...and one prompt alone at index i (generateAt) is what the batch gave at i.
        const [one] = await alone(rev).generateAt({ ...full, prompts: [prompts[4]!] }, [4]);
        expect(summary(one!)).toEqual(summary(got[4]!));
      }
    }
  });

  it('keeps the order and the seeds across batch chunks', async () => {
    // Batches of at most 2 rows: every part of the mixed batch is split again.
    const small = (_: ModelRole, b: DecoderBackend): DecoderBackend => ({
      name: b.name,
      config: b.config,
      dispatchesPerStep: 0,
      maxBatchSize: () => 2,
      dispose: () => b.dispose(),
      createBatch: (n, maxLength) => {
        expect(n).toBeLessThanOrEqual(2);
        return b.createBatch(n, maxLength);
      },
    });
    const prompts = [revisionPrompt, plainPrompt, twoAttempts, otherPlain, revisionPrompt];
    const full = { ...request, prompts };
    const got = await routed(cpuSource(small)).generate(full);
    const whole = await routed().generate(full);
    expect(got.map(summary)).toEqual(whole.map(summary));
  });

  it('an abort ends what is left of both parts, in order', async () => {
    const prompts = [revisionPrompt, plainPrompt, twoAttempts, otherPlain];
    const before = new AbortController();
    before.abort();
    const none = await routed().generate({ ...request, prompts, signal: before.signal });
    expect(none.map((c) => [c.finishReason, c.text, c.promptTokens])).toEqual(
      prompts.map((p) => ['aborted', '', p.length]),
    );
    // Abort during the first part (the generator's, at its first decode step): its rows stop
    // after the token they had, and the revision model's part does not start.
    const during = new AbortController();
    let steps = 0;
    const interrupting = (role: ModelRole, b: DecoderBackend): DecoderBackend =>
      role !== 'generator'
        ? b
        : {
            name: b.name,
            config: b.config,
            dispatchesPerStep: 0,
            maxBatchSize: (n) => b.maxBatchSize(n),
            dispose: () => b.dispose(),
            createBatch: async (n, maxLength) => {
              const batch = await b.createBatch(n, maxLength);
              const step = batch.step.bind(batch);
              batch.step = (rows, tokens) => {
                if (++steps === 1) during.abort();
                return step(rows, tokens);
              };
              return batch;
            },
          };
    const got = await routed(cpuSource(interrupting)).generate({
      ...request,
      maxTokens: 20,
      prompts,
      signal: during.signal,
    });
    expect(got.map((c) => [c.finishReason, c.completionTokens])).toEqual([
      ['aborted', 0],
      ['aborted', 1],
      ['aborted', 0],
      ['aborted', 1],
    ]);
  });

  it('each model keeps its own prefix cache', async () => {
    const model = routed();
    const full = { ...request, prompts: [plainPrompt, revisionPrompt] };
    const first = await model.generate(full);
    expect([model.generator.cache.size, model.revision.cache.size]).toEqual([1, 1]);
    expect([model.generator.cache.hits, model.revision.cache.hits]).toEqual([0, 0]);
    // The same prompts again: each is found in its own model's cache, with the same results.
    const again = await model.generate(full);
    expect([model.generator.cache.hits, model.revision.cache.hits]).toEqual([1, 1]);
    expect(again.map(summary)).toEqual(first.map(summary));
    // A revision prompt never loads a row the generator saved (other weights), nor the reverse.
    await model.generate({ ...request, prompts: [revisionPrompt] });
    expect([model.generator.cache.hits, model.revision.cache.hits]).toEqual([1, 2]);
  });

  it('names a bad prompt by its index in the whole batch', async () => {
    const prompts = [plainPrompt, revisionPrompt, plainPrompt, `${revisionPrompt}x`];
    await expect(routed().generate({ ...request, prompts })).rejects.toThrow(
      /cannot read "x" in the prompt 3/,
    );
    await expect(routed().generate({ ...request, prompts: [revisionPrompt, ''] })).rejects.toThrow(
      /prompt 1 is empty/,
    );
  });

  it('labels both models, and reports the backend and the limits both share', () => {
    const model = routed();
    expect(model.label).toMatch(/^TinyMath [\d.]+[MK] \+ revision model [\d.]+[MK] \(CPU\)$/);
    expect(model.revision.label).toMatch(/^TinyMath revision model [\d.]+[MK] \(CPU\)$/);
    expect(model.generator.label).toMatch(/^TinyMath [\d.]+[MK] \(CPU\)$/);
    expect(model.id).toBe('tinymath-gen');
    expect(model.parameterCount).toBe(gen.config.parameters);
    expect(model.capabilities.contextLength).toBe(SHAPE.nPositions);
    expect(model.capabilities.maxBatch).toBe(64);
  });
});
