import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random';
import type { GenerateRequest } from '../../engine/types';
import { makeArithProblem } from '../../tasks/arith/arith';
import type { DecoderBackend } from './backend';
import { CpuBackend } from './cpu';
import { fixedSource, syntheticConfidencePrm, syntheticExport } from './fixtures';
import { parseExport, promptPositions, type TinyMathExport } from './format';
import { TinyMathModel, type BackendSource } from './model';
import { TinyMathPrm, prmInput } from './prm';
import { findStop, logSumExp, sampleToken } from './sampling';

const gen = parseExport(
  syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 2, nPositions: 96, scale: 0.5 }, 11),
  'generator',
);
const prmExport = parseExport(
  syntheticExport(
    { nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 128, role: 'prm', scale: 0.6 },
    12,
    'tinymath-prm',
  ),
  'prm',
);

function cpuSource(...exports: TinyMathExport[]): BackendSource & { calls: number } {
  const backends = new Map(
    exports.map((e) => [e.config.role, new CpuBackend(e.config, e.weights)]),
  );
  return {
    calls: 0,
    backend(role) {
      this.calls++;
      return backends.get(role)!;
    },
    failed: (e) => e,
  };
}

/** The CPU path for `e`, counting the prompt tokens its batches prefill (decode steps not). */
function countingCpu(e: TinyMathExport): { source: BackendSource; fed: () => number } {
  const cpu = new CpuBackend(e.config, e.weights);
  let fed = 0;
  const backend: DecoderBackend = {
    name: 'cpu',
    config: cpu.config,
    dispatchesPerStep: 0,
    maxBatchSize: (n) => cpu.maxBatchSize(n),
    dispose: () => undefined,
    createBatch: async (rows, maxLength) => {
      const b = await cpu.createBatch(rows, maxLength);
      const prefill = b.prefill.bind(b);
      // Decode steps go through prefill on the CPU.
      b.step = (r, tokens) =>
        prefill(
          r,
          tokens.map((t) => [t]),
        );
      b.prefill = (r, tokens, positions) => {
        fed += tokens.reduce((n, t) => n + t.length, 0);
        return prefill(r, tokens, positions);
      };
      return b;
    },
  };
  return { source: fixedSource(backend), fed: () => fed };
}

const model = new TinyMathModel(gen, cpuSource(gen));
const base: GenerateRequest = { prompts: [], maxTokens: 30, temperature: 1, topP: 1, seed: 5 };

describe('sampling', () => {
  it('greedy picks the argmax and never touches the Rng', () => {
    const logits = new Float32Array([0.1, 2, 2, -1]);
    const rng = new Rng(1);
    expect(sampleToken(logits, 0, 4, 0, 1, rng, new Int32Array(4), new Float64Array(4))).toBe(1);
    expect(rng.next()).toBe(new Rng(1).next());
  });

  it('top-p keeps only the nucleus', () => {
    // Probabilities ~ [0.64, 0.24, 0.09, 0.03]: topP 0.7 keeps the first two.
    const logits = new Float32Array([2, 1, 0, -1]);
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++)
      seen.add(sampleToken(logits, 0, 4, 1, 0.7, rng, new Int32Array(4), new Float64Array(4)));
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('samples in proportion to softmax(logits / temperature)', () => {
    const logits = new Float32Array([Math.log(3), 0]);
    const rng = new Rng(9);
    let zeros = 0;
    const n = 20000;
    for (let i = 0; i < n; i++)
      if (sampleToken(logits, 0, 2, 1, 1, rng, new Int32Array(2), new Float64Array(2)) === 0)
        zeros++;
    expect(zeros / n).toBeGreaterThan(0.74);
    expect(zeros / n).toBeLessThan(0.76);
  });

  it('finds the earliest stop string, including one that spans the old and new text', () => {
    expect(findStop('12\n', 2, ['\n'])).toBe(3);
    expect(findStop('A:5\n', 2, ['5\n', 'A:'])).toBe(4);
    expect(findStop('abc', 3, ['x'])).toBe(-1);
  });
});

describe('TinyMathModel', () => {
  it('declares its capabilities and a label that names the backend', () => {
    expect(model.capabilities).toMatchObject({
      batching: true,
      logprobs: true,
      maxStopStrings: 16,
      contextLength: 96,
      topLogprobs: 22,
    });
    expect(model.label).toMatch(/^TinyMath \d+K \(CPU\)$/);
  });

  it('gives the same completions for the same seed, and different ones for another seed', async () => {
    const req = { ...base, prompts: ['Q:5,+3\n', 'Q:12,*3\n', 'Q:5,+3\n'] };
    const a = await model.generate(req);
    const b = await model.generate(req);
    const c = await model.generate({ ...req, seed: 6 });
    expect(b).toEqual(a);
    expect(c.map((x) => x.text)).not.toEqual(a.map((x) => x.text));
    // Same prompt, different index: a different random stream.
    expect(a[2]!.text).not.toBe(a[0]!.text);
  });

  it('gives row i the same text whatever else is in the batch', async () => {
    const prompts = ['Q:5,+3\n', 'Q:12,*3\n', 'Q:7,-2\n', 'Q:40,+1\n'];
    const all = await model.generate({ ...base, prompts, logprobs: true });
    const other = await model.generate({
      ...base,
      prompts: ['Q:9\n', prompts[1]!, 'Q:5,+3\n5+3=8\n'],
      logprobs: true,
    });
    expect(other[1]).toEqual(all[1]);
    // One prompt per call: rows 0 of each.
    const solo = await model.generate({ ...base, prompts: [prompts[0]!], logprobs: true });
    expect(solo[0]).toEqual(all[0]);
  });

  it('loads prompts an earlier call prefilled (a parent plus a step, the same prompt again), with the same completions', async () => {
    const counting = countingCpu(gen);
    const kept = new TinyMathModel(gen, counting.source);
    const plain = new TinyMathModel(gen, cpuSource(gen), { cacheBytes: 0 });
    const rounds = [
      ['Q:5,+3,*2\n', 'Q:12,*3\n'],
      ['Q:5,+3,*2\n5+3=8\n', 'Q:5,+3,*2\n5+3=9\n', 'Q:12,*3\n'],
      ['Q:5,+3,*2\n5+3=8\n8*2=16\n', 'Q:5,+3,*2\n5+3=9\n'],
      // A revision prompt starts with the tokens of a plain one but at other positions: no match.
      ['Q:5,+3,*2\n5+3=8\n-\nQ:5,+3,*2\n'],
    ];
    let read = 0;
    for (const prompts of rounds) {
      const req = {
        ...base,
        prompts: prompts.flatMap((p) => [p, p]),
        logprobs: true,
        stop: ['\n'],
      };
      const got = await kept.generate(req);
      expect(got).toEqual(await plain.generate(req));
      read += got.reduce((n, c) => n + c.promptTokens, 0) / 2;
    }
    // Round 2: 2 prompts extend round 1's, 1 repeats it; round 3: 1 extends, 1 repeats.
    expect(kept.cache.hits).toBe(5);
    const len = (i: number, j: number) => gen.tokenizer.encode(rounds[i]![j]!).length;
    const fed = counting.fed();
    expect(fed).toBe(
      len(0, 0) +
        len(0, 1) +
        (len(1, 0) - len(0, 0)) +
        (len(1, 1) - len(0, 0)) +
        (len(2, 0) - len(1, 0)) +
        len(3, 0),
    );
    expect(fed).toBeLessThan(read * 0.6);
  });

  it('splits a batch larger than maxBatch without changing any row', async () => {
    const prompts = Array.from({ length: 70 }, (_, i) => `Q:${i},+1\n`);
    const big = await model.generate({ ...base, prompts, maxTokens: 6 });
    const tail = await model.generate({ ...base, prompts, maxTokens: 6 });
    expect(big).toHaveLength(70);
    expect(tail[69]).toEqual(big[69]);
  });

  it.each([
    ['a plain prompt', 'Q:37,+45\n'],
    ['a revision prompt', '37+45=81\nA:81\n-\nQ:37,+45\n'],
  ])('greedy decoding of %s is the argmax chain of the backend logits', async (_, prompt) => {
    const [c] = await model.generate({
      ...base,
      prompts: [prompt],
      temperature: 0,
      maxTokens: 12,
      logprobs: true,
    });
    // Recompute the chain token by token with fresh prefills.
    const backend = new CpuBackend(gen.config, gen.weights);
    let ids = gen.tokenizer.encode(prompt);
    // The prompt's own position layout; every generated token follows the last position.
    const positions = promptPositions([...prompt], gen.config.nPositions);
    let text = '';
    const lps: number[] = [];
    for (let i = 0; i < c!.completionTokens; i++) {
      const logits = await (
        await backend.createBatch(1, ids.length)
      ).prefill([0], [ids], [positions]);
      const V = gen.config.vocabSize;
      const last = logits.subarray((ids.length - 1) * V);
      // <pad> (id 0) and the PRM tag "?" are never sampled.
      const tag = gen.tokenizer.idOf('?')!;
      let best = 1;
      for (let j = 2; j < V; j++) if (j !== tag && last[j]! > last[best]!) best = j;
      lps.push(last[best]! - logSumExp(last, 0, V));
      if (best === gen.eosTokenId) break;
      text += gen.tokenizer.piece(best);
      ids = [...ids, best];
      positions.push(positions[positions.length - 1]! + 1);
    }
    expect(c!.text).toBe(text);
    c!.tokenLogprobs!.forEach((lp, i) => expect(lp).toBeCloseTo(lps[i]!, 5));
  });

  it('stops after a stop string, includes it, and counts tokens honestly', async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => `Q:${i + 10},*2\n`);
    const out = await model.generate({
      ...base,
      prompts,
      stop: ['\n', '='],
      maxTokens: 40,
      logprobs: true,
    });
    for (const [i, c] of out.entries()) {
      expect(c.promptTokens).toBe(prompts[i]!.length);
      expect(c.tokenLogprobs).toHaveLength(c.completionTokens);
      for (const lp of c.tokenLogprobs!) expect(lp).toBeLessThanOrEqual(0);
      if (c.finishReason === 'stop') {
        expect(c.text.endsWith('\n') || c.text.endsWith('=')).toBe(true);
        expect(c.text.slice(0, -1)).not.toMatch(/[\n=]/);
        expect(c.completionTokens).toBe(c.text.length);
      } else if (c.finishReason === 'eos') {
        expect(c.completionTokens).toBe(c.text.length + 1);
      } else {
        expect(c.finishReason).toBe('length');
        expect(c.completionTokens).toBe(40);
      }
    }
    expect(out.some((c) => c.finishReason === 'stop')).toBe(true);
  });

  /** The generator on a stand-in backend whose every forward pass returns the same logits. */
  function withConstantLogits(logits: Float32Array): TinyMathModel {
    const V = logits.length;
    const lengths = new Map<number, number>();
    const fake: DecoderBackend = {
      name: 'cpu',
      config: gen.config,
      dispatchesPerStep: 0,
      maxBatchSize: () => 64,
      dispose: () => {},
      createBatch: async (batchSize, maxLength) => ({
        batchSize,
        maxLength,
        length: (r) => lengths.get(r) ?? 0,
        step: async (rows) => {
          rows.forEach((r) => lengths.set(r, (lengths.get(r) ?? 0) + 1));
          return new Float32Array(rows.length * V).map((_, i) => logits[i % V]!);
        },
        prefill: async (rows, tokens) => {
          rows.forEach((r, i) => lengths.set(r, (lengths.get(r) ?? 0) + tokens[i]!.length));
          return new Float32Array(tokens.flat().length * V).map((_, i) => logits[i % V]!);
        },
        fork: async (src, targets) => targets.forEach((t) => lengths.set(t, lengths.get(src) ?? 0)),
        release: () => {},
      }),
    };
    return new TinyMathModel(gen, fixedSource(fake));
  }

  it('never samples <pad> or the PRM tag, even where the model favours them', async () => {
    const V = gen.config.vocabSize;
    const tag = gen.tokenizer.idOf('?')!;
    const one = gen.tokenizer.idOf('1')!;
    // Logits that put almost all mass on <pad> and "?".
    const logits = new Float32Array(V).fill(-40);
    logits[0] = 10;
    logits[tag] = 9;
    logits[one] = 0;
    const m = withConstantLogits(logits);
    const out = await m.generate({
      ...base,
      prompts: Array<string>(4).fill('Q:1\n'),
      maxTokens: 10,
      logprobs: true,
    });
    for (const c of out) {
      expect(c.text).toBe('1'.repeat(10));
      // The logprob is the model's: log p('1') under the unmasked distribution, far below 0.
      expect(c.tokenLogprobs![0]).toBeCloseTo(0 - logSumExp(logits, 0, V), 5);
    }
  });

  it('never ends a completion before its first token, as the training sampler (no_empty)', async () => {
    const V = gen.config.vocabSize;
    const one = gen.tokenizer.idOf('1')!;
    // Logits that put almost all mass on <eos>, then on "1".
    const logits = new Float32Array(V).fill(-40);
    logits[gen.eosTokenId] = 10;
    logits[one] = 0;
    const m = withConstantLogits(logits);
    const out = await m.generate({
      ...base,
      prompts: Array<string>(4).fill('A:1\n-\nQ:1\n'),
      maxTokens: 10,
      logprobs: true,
    });
    for (const c of out) {
      // The first token is "1" (<eos> masked there only); the second is <eos> again.
      expect(c.text).toBe('1');
      expect(c.finishReason).toBe('eos');
      expect(c.completionTokens).toBe(2);
      expect(c.tokenLogprobs![0]).toBeCloseTo(0 - logSumExp(logits, 0, V), 5);
    }
  });

  it('respects maxTokens and the context length', async () => {
    const [short] = await model.generate({
      ...base,
      prompts: ['Q:1\n'],
      maxTokens: 3,
      temperature: 0.0001,
    });
    expect(short!.completionTokens).toBeLessThanOrEqual(3);
    const long = 'Q:1,+1\n'.repeat(13); // 91 tokens of a 96-token context
    const [c] = await model.generate({ ...base, prompts: [long], maxTokens: 50, stop: [] });
    expect(c!.promptTokens + c!.completionTokens).toBeLessThanOrEqual(96 + 1);
    expect(c!.completionTokens).toBeLessThanOrEqual(6);
  });

  it('refuses a prompt longer than the context, with a clear message', async () => {
    await expect(model.generate({ ...base, prompts: ['Q:1\n'.repeat(30)] })).rejects.toThrow(
      /prompt 0 has 120 tokens; TinyMath's context is 96 tokens/,
    );
    await expect(model.generate({ ...base, prompts: ['Q:x'] })).rejects.toThrow(
      /cannot read "x" in the prompt 0/,
    );
    await expect(
      model.generate({
        ...base,
        prompts: ['Q:1'],
        stop: Array.from({ length: 17 }, (_, i) => `${i}`),
      }),
    ).rejects.toThrow(/at most 16 stop strings/);
  });

  it('stops promptly on abort and marks unfinished completions', async () => {
    const bigExport = parseExport(
      syntheticExport({ nEmbd: 64, nLayer: 4, nHead: 4, nPositions: 512, scale: 0.05 }, 3),
    );
    const big = new TinyMathModel(bigExport, cpuSource(bigExport));
    // scale 0.05 gives near-uniform logits: EOS is rare, so rows run to maxTokens unless aborted.
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    const out = await big.generate({
      ...base,
      prompts: Array(16).fill('Q:1\n'),
      maxTokens: 500,
      signal: controller.signal,
      stop: [],
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1500);
    expect(out.filter((c) => c.finishReason === 'aborted').length).toBeGreaterThan(0);
    for (const c of out) expect(c.completionTokens).toBeLessThan(500);
    const pre = new AbortController();
    pre.abort();
    const none = await model.generate({ ...base, prompts: ['Q:1\n'], signal: pre.signal });
    expect(none[0]).toMatchObject({ text: '', finishReason: 'aborted', completionTokens: 0 });
  });
});

describe('TinyMathPrm', () => {
  const prm = new TinyMathPrm(prmExport, cpuSource(prmExport));
  const problem = makeArithProblem(2, 42);

  it('builds the input exactly as docs/model-format.md shows', () => {
    const p = {
      ...problem,
      data: {
        start: 37,
        ops: [
          { op: '+', operand: 45 },
          { op: '*', operand: 2 },
        ],
      },
    };
    const { text, tagAt } = prmInput(p, ['37+45=82', '82*2=164', 'A:164'], '?');
    expect(text).toBe('Q:37,+45,*2\n37+45=82?\n82*2=164?\nA:164?\n');
    expect(tagAt.map((i) => text[i])).toEqual(['?', '?', '?']);
    // A newline tag (format version 4): the solution as written, read at each step's newline.
    const nl = prmInput(p, ['37+45=82', '82*2=164', 'A:164'], '\n');
    expect(nl.text).toBe('Q:37,+45,*2\n37+45=82\n82*2=164\nA:164\n');
    expect(nl.tagAt).toEqual([20, 29, 35]);
    expect(nl.tagAt.map((i) => nl.text[i])).toEqual(['\n', '\n', '\n']);
    expect(nl.lastStepAt).toBe(30);
  });

  it.each(['?', '\n'])(
    'scores each step with p(+)/(p(+)+p(-)) at its tag (%j), in one forward pass',
    async (tag) => {
      const e = parseExport(
        syntheticExport(
          { nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 128, role: 'prm', scale: 0.6, prmTag: tag },
          12,
        ),
        'prm',
      );
      const steps = ['5-3=2', 'A:2'];
      const [r] = await new TinyMathPrm(e, cpuSource(e)).scoreSteps([{ problem, steps }]);
      const { text, tagAt } = prmInput(problem, steps, tag);
      expect(text.endsWith(tag === '?' ? '\n5-3=2?\nA:2?\n' : '\n5-3=2\nA:2\n')).toBe(true);
      const ids = e.tokenizer.encode(text);
      const logits = await (
        await new CpuBackend(e.config, e.weights).createBatch(1, ids.length)
      ).prefill([0], [ids]);
      const V = e.config.vocabSize;
      const { good, bad } = e.prmTokens!;
      const expected = tagAt.map((t) => {
        const g = Math.exp(logits[t * V + good]!);
        const b = Math.exp(logits[t * V + bad]!);
        return g / (g + b);
      });
      expect(r!.tokens).toBe(ids.length);
      r!.stepScores.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 6));
      for (const s of r!.stepScores) expect(s).toBeGreaterThan(0);
    },
  );

  it('gives prefix steps the same score whether or not later steps follow (causal), batched', async () => {
    const [whole, prefix, empty] = await prm.scoreSteps([
      { problem, steps: ['a', 'b', 'c'].map((_, i) => `${i}+1=${i + 1}`) },
      { problem, steps: ['0+1=1'] },
      { problem, steps: [] },
    ]);
    expect(prefix!.stepScores[0]).toBeCloseTo(whole!.stepScores[0]!, 6);
    expect(empty).toEqual({ stepScores: [], tokens: 0 });
    expect(whole!.stepScores).toHaveLength(3);
  });

  it('shares the prefill of what candidates of one parent have in common, with the same scores', async () => {
    // A PRM with the generator-confidence input too (and with its running sum): forks must carry
    // its state across calls.
    const confPrm = parseExport(syntheticConfidencePrm(14), 'prm');
    const sumPrm = parseExport(syntheticConfidencePrm(14, true), 'prm');
    for (const e of [prmExport, confPrm, sumPrm]) {
      const counting = countingCpu(e);
      const shared = new TinyMathPrm(e, counting.source);
      const alone = new TinyMathPrm(e, cpuSource(e), { cacheBytes: 0 });
      const parents = [['5-3=2'], ['5-3=1'], ['5-3=2', '2+4=6']];
      const requests = [
        ...parents.flatMap((steps) =>
          ['A:2', 'A:6', '2+4=7'].map((last) => ({ problem, steps: [...steps, last] })),
        ),
        { problem, steps: ['A:9'] },
        { problem, steps: [] },
        // More candidates of one parent than one batch holds (64 rows).
        ...Array.from({ length: 70 }, (_, i) => ({ problem, steps: ['5-3=2', `A:${i}`] })),
      ];
      const together = await shared.scoreSteps(requests);
      const separately = [];
      for (const r of requests) separately.push((await alone.scoreSteps([r]))[0]!);
      // Bit for bit: sharing a prefill does not change the arithmetic.
      expect(together).toEqual(separately);
      const whole = together.reduce((n, r) => n + r.tokens, 0);
      expect(counting.fed()).toBeLessThan(whole / 2);
    }
  });

  it('loads the rows an earlier call left (a tree search round after round), with the same scores', async () => {
    const confPrm = parseExport(syntheticConfidencePrm(15), 'prm');
    const sumPrm = parseExport(syntheticConfidencePrm(15, true), 'prm');
    for (const e of [prmExport, confPrm, sumPrm]) {
      const counting = countingCpu(e);
      const kept = new TinyMathPrm(e, counting.source);
      const plain = new TinyMathPrm(e, cpuSource(e), { cacheBytes: 0 });
      // Three rounds of a beam search: each round's parents are two of the last round's candidates.
      let parents: string[][] = [[]];
      let read = 0;
      for (const round of [0, 1, 2]) {
        const requests = parents.flatMap((steps) =>
          [`${round}+1=${round + 1}`, `${round}*2=${round * 2}`, 'A:7'].map((last) => ({
            problem,
            steps: [...steps, last],
          })),
        );
        const got = await kept.scoreSteps(requests);
        expect(got).toEqual(await plain.scoreSteps(requests));
        read += got.reduce((n, r) => n + r.tokens, 0);
        parents = requests.slice(0, 2).map((r) => r.steps);
      }
      // Rounds 2 and 3 found all 4 parents in the cache.
      expect(kept.cache.hits).toBe(4);
      expect(counting.fed()).toBeLessThan(read / 2);
    }
  });

  it('refuses inputs longer than its context', async () => {
    const steps = Array.from({ length: 30 }, () => '123+456=579');
    await expect(prm.scoreSteps([{ problem, steps }])).rejects.toThrow(
      /PRM input 0 \(30 steps\) has \d+ tokens/,
    );
  });
});
