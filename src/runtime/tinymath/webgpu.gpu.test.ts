/// <reference types="@webgpu/types" />
/**
 * WebGPU parity and fallback, through Dawn in Node (SwiftShader here). Run with `npm run test:gpu`;
 * under the plain unit-test run these are skipped (they need the Vulkan environment).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendLostError, type BatchHandle, type DecoderBackend } from './backend';
import { CpuBackend } from './cpu';
import {
  contiguousFrom,
  fixedSource,
  goldenMaxDiff,
  hostSampled,
  syntheticConfidencePrm,
  TINYMATH_RUNNING_SUM,
  syntheticExport,
} from './fixtures';
import { parseExport, type TinyMathExport } from './format';
import { GENERATOR_FOLDER, REVISION_FOLDER, dawnGpu } from './index';
import { TinyMathModel } from './model';
import { TinyMathPrm } from './prm';
import { makeArithProblem } from '../../tasks/arith';
import { readExportDir, readGolden } from './node-files';
import { TinyMathRuntime, chooseAdapter } from './runtime';
import { EXPORT_PARENTS, REPO_ROOT, requireExportDirs } from './test-support';
import { scoreTile } from './kernels';
import { packWeights, preferredDecode, WebGpuBackend, type DecodeMode } from './webgpu';

const enabled = process.env['TTC_GPU_TESTS'] === '1';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.runIf(enabled)('WebGPU backend (Dawn)', () => {
  let gpu: GPU;
  let device: GPUDevice;

  beforeAll(async () => {
    const g = await dawnGpu();
    if (!g) throw new Error('the `webgpu` package did not load');
    gpu = g;
    const choice = await chooseAdapter('webgpu', gpu);
    if (!choice.adapter)
      throw new Error(`no WebGPU adapter: ${choice.notice} (is VK_ICD_FILENAMES set?)`);
    // Default limits (16 KB of workgroup memory...): the floor every WebGPU device offers.
    device = await choice.adapter.requestDevice();
  });
  afterAll(() => device?.destroy());

  /**
   * Run the same script on a batch of 3 x 60 on WebGPU (tiles of 8 positions, so the online
   * softmax spans several tiles) and on the CPU; every output must agree within 1e-4.
   */
  async function gpuMatchesCpu(
    e: TinyMathExport,
    script: (batch: BatchHandle) => Promise<Float32Array[]>,
    options: {
      workgroup?: number;
      decode?: DecodeMode;
      tileOutputs?: number;
      scoreTile?: number;
    } = {},
  ): Promise<{ outputs: Float32Array[]; dispatchesPerStep: number }> {
    const gpuBackend = await WebGpuBackend.create(device, e.config, e.weights, {
      scoreTile: 8,
      ...options,
    });
    const run = async (b: DecoderBackend): Promise<Float32Array[]> => {
      const batch = await b.createBatch(3, 60);
      const out = await script(batch);
      batch.release();
      return out;
    };
    const [g, c] = [await run(gpuBackend), await run(new CpuBackend(e.config, e.weights))];
    expect(g.length).toBe(c.length);
    g.forEach((x, i) => expect(maxAbsDiff(x, c[i]!)).toBeLessThan(1e-4));
    const { dispatchesPerStep } = gpuBackend;
    gpuBackend.dispose();
    return { outputs: g, dispatchesPerStep };
  }

  describe('parity with PyTorch golden logits (every export found)', () => {
    const dirs = requireExportDirs();
    it.runIf(dirs.length === 0)('no export found yet (outside CI this is not a failure)', () => {
      expect(process.env['CI']).not.toBe('true');
    });
    for (const d of dirs) {
      it(`${d.label}: prefill and decode within tolerance`, async () => {
        const e = parseExport(await readExportDir(d.dir));
        const golden = await readGolden(d.dir);
        const backend = await WebGpuBackend.create(device, e.config, e.weights);
        const V = e.config.vocabSize;
        // Two golden inputs are plenty on SwiftShader.
        for (const input of golden.inputs.slice(0, 2)) {
          const ref = input.logits.flat();
          const batch = await backend.createBatch(2, input.ids.length);
          const prefill = await batch.prefill([1], [input.ids], [input.positions]);
          expect(maxAbsDiff(prefill, ref)).toBeLessThanOrEqual(Math.min(1e-3, golden.tolerance));
          // The fused decode kernel, one token at a time after a short prefill.
          const head = contiguousFrom(input.positions, 4);
          await batch.prefill([0], [input.ids.slice(0, head)], [input.positions.slice(0, head)]);
          let worst = 0;
          for (let t = head; t < input.ids.length; t++) {
            const step = await batch.step([0], [input.ids[t]!]);
            worst = Math.max(worst, maxAbsDiff(step, ref.slice(t * V, (t + 1) * V)));
          }
          expect(worst).toBeLessThanOrEqual(Math.min(1e-3, golden.tolerance));
          batch.release();
        }
        backend.dispose();
      });
    }
  });

  // The runtime runs the revision model on the generator's compiled kernels (sharing): check
  // that path against the revision model's own golden logits, wherever both exports exist.
  describe("the revision model on the generator's kernels (golden logits)", () => {
    for (const parent of EXPORT_PARENTS) {
      const root = join(REPO_ROOT, parent);
      const gen = join(root, GENERATOR_FOLDER);
      const rev = join(root, REVISION_FOLDER);
      if (!existsSync(join(gen, 'model.safetensors'))) continue;
      if (!existsSync(join(rev, 'golden.json'))) {
        it.skip(`${parent}: no ${REVISION_FOLDER}/ export there, so its revision model is not checked`, () => {});
        continue;
      }
      it(`${parent}/${REVISION_FOLDER}: prefill and decode on shared kernels within tolerance`, async () => {
        const g = parseExport(await readExportDir(gen), 'generator');
        const r = parseExport(await readExportDir(rev), 'revision');
        const golden = await readGolden(rev);
        const base = await WebGpuBackend.create(device, g.config, g.weights);
        const backend = await WebGpuBackend.sharing(base, r.config, r.weights);
        expect(backend.sharesKernelsWith(base)).toBe(true);
        const tolerance = Math.min(1e-3, golden.tolerance);
        const packed = [packWeights(g.config, g.weights), packWeights(r.config, r.weights)];
        const sameWeights = packed[0]!.every((v, i) => v === packed[1]![i]);
        // The revision prompt (earlier attempts from position 320) and one plain prompt.
        const inputs = [
          golden.inputs.find((i) => i.positions[0] !== 0),
          golden.inputs.find((i) => i.positions[0] === 0),
        ].filter((i) => i !== undefined);
        expect(inputs.length).toBeGreaterThan(0);
        for (const input of inputs) {
          const diff = await goldenMaxDiff(
            backend,
            input.ids,
            input.positions,
            input.logits.flat(),
          );
          expect(diff, input.text.replace(/\n/g, '\\n')).toBeLessThanOrEqual(tolerance);
          // The generator's weights give other logits: the backend does read its own buffer.
          if (!sameWeights) {
            const other = await goldenMaxDiff(
              base,
              input.ids,
              input.positions,
              input.logits.flat(),
            );
            expect(other).toBeGreaterThan(tolerance);
          }
        }
        backend.dispose();
        base.dispose();
      });
    }
  });

  it('matches the CPU path on a batch of rows of different lengths, with tiled attention and fork', async () => {
    const e = parseExport(
      syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 80, scale: 0.5 }, 21),
    );
    const long = e.tokenizer.encode('Q:908,+602,*2\n908+602=1510\n1510*2=3020\nA:3020\n');
    const short = e.tokenizer.encode('Q:5,-3\n');
    const script = async (batch: BatchHandle) => {
      const out = [await batch.prefill([2, 0], [short, long.slice(0, 30)])];
      await batch.fork(0, [1]);
      out.push(await batch.step([0, 1, 2], [long[30]!, 4, 5]));
      out.push(await batch.step([1, 0], [6, long[31]!]));
      return out;
    };
    const { outputs } = await gpuMatchesCpu(e, script);
    expect(outputs[1]!.length).toBe(3 * e.config.vocabSize);
    // Other workgroup sizes (the benchmark compares them): fewer threads than the width, and more.
    for (const workgroup of [16, 256]) await gpuMatchesCpu(e, script, { workgroup });
    // The layered decode (four dispatches per layer, many workgroups per row). Width 32, head
    // size 8: at 128 threads tiles of 32 outputs with each dot product split 4 ways and the
    // attention's positions over 16 groups; at 64, 2 ways and 8 groups; at 16, tiles of 16
    // outputs, no split, and 2 groups; at 4, fewer threads than a head has dimensions. Its
    // attention scores one head at a time, nHead x scoreTile = 8 positions per tile here.
    for (const workgroup of [128, 64, 16, 4]) {
      const options = { workgroup, decode: 'layered' as const, scoreTile: 2 };
      const layered = await gpuMatchesCpu(e, script, options);
      expect(layered.dispatchesPerStep).toBe(4 * e.config.nLayer + 1);
    }
    // Other tile sizes (the benchmark compares them): 64 outputs leave the q|k|v, projection and
    // MLP tiles partly empty at width 32; 8 split each dot product 16 ways at 128 threads.
    for (const tileOutputs of [64, 8])
      await gpuMatchesCpu(e, script, { workgroup: 128, decode: 'layered', tileOutputs });
    await expect(
      WebGpuBackend.create(device, e.config, e.weights, { decode: 'layered', tileOutputs: 48 }),
    ).rejects.toThrow(/tiles of 48 outputs must be a power of two/);
    const prm = parseExport(syntheticConfidencePrm(14), 'prm');
    await expect(
      WebGpuBackend.create(device, prm.config, prm.weights, { decode: 'layered' }),
    ).rejects.toThrow(/layered decode is for a generator/);
    await expect(
      WebGpuBackend.create(device, e.config, e.weights, { workgroup: 100 }),
    ).rejects.toThrow(/power of two/);
  });

  it.each([false, true])(
    'with the generator-confidence input (running sum: %s): matches the CPU path across prefills, decode steps and a fork',
    async (withSum) => {
      const e = parseExport(
        syntheticExport(
          {
            nEmbd: 32,
            nLayer: 3,
            nHead: 4,
            nPositions: 80,
            scale: 0.5,
            role: 'prm',
            confidence: {
              afterLayer: 2,
              floor: -12,
              runningSum: withSum ? TINYMATH_RUNNING_SUM : null,
            },
          },
          23,
        ),
      );
      const long = e.tokenizer.encode('Q:908,+602,*2\n908+602=1510?\n1510*2=3020?\nA:3020?\n');
      const short = e.tokenizer.encode('Q:5,-3\n5-3=2?\n');
      const { dispatchesPerStep } = await gpuMatchesCpu(e, async (batch) => {
        // Two rows in one prefill; then row 0 continues in a second prefill (its previous
        // position, and with the running sum its sum, are in the first call), is forked, and
        // both copies decode.
        const out = [await batch.prefill([2, 0], [short, long.slice(0, 20)])];
        out.push(await batch.prefill([0], [long.slice(20, 30)]));
        await batch.fork(0, [1]);
        out.push(await batch.step([0, 1, 2], [long[30]!, 4, 5]));
        out.push(await batch.step([1, 0], [6, long[31]!]));
        return out;
      });
      expect(dispatchesPerStep).toBe(2 * 3 + (withSum ? 4 : 3));
    },
  );

  it.each([false, true])(
    'PRM scores with shared prefills (prefix, fork, last steps) match the CPU path (running sum: %s)',
    async (withSum) => {
      const e = parseExport(syntheticConfidencePrm(14, withSum), 'prm');
      const gpuBackend = await WebGpuBackend.create(device, e.config, e.weights);
      const problem = makeArithProblem(2, 42);
      const requests = ['A:2', 'A:6', '2+4=7'].flatMap((last) => [
        { problem, steps: ['5-3=2', last] },
        { problem, steps: ['5-3=1', '1+4=5', last] },
      ]);
      const onGpu = await new TinyMathPrm(e, fixedSource(gpuBackend)).scoreSteps(requests);
      const onCpu = await new TinyMathPrm(
        e,
        fixedSource(new CpuBackend(e.config, e.weights)),
      ).scoreSteps(requests);
      onGpu.forEach((r, i) => {
        expect(r.tokens).toBe(onCpu[i]!.tokens);
        r.stepScores.forEach((x, k) => expect(x).toBeCloseTo(onCpu[i]!.stepScores[k]!, 5));
      });
      gpuBackend.dispose();
    },
  );

  it('samples the same greedy completions as the CPU path', async () => {
    const e = parseExport(
      syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 2, nPositions: 64, scale: 0.8 }, 5),
    );
    const gpuBackend = await WebGpuBackend.create(device, e.config, e.weights);
    const request = {
      prompts: ['Q:5,+3\n', 'Q:12,*3\n', 'Q:5,+3\n'],
      maxTokens: 12,
      temperature: 0,
      topP: 1,
      seed: 1,
    };
    const onGpu = await new TinyMathModel(e, fixedSource(gpuBackend)).generate(request);
    const onCpu = await new TinyMathModel(
      e,
      fixedSource(new CpuBackend(e.config, e.weights)),
    ).generate(request);
    expect(onGpu.map((c) => c.text)).toEqual(onCpu.map((c) => c.text));
    gpuBackend.dispose();
  });

  it.each(['fused', 'layered'] as const)(
    'sampling on the GPU (decodeSampled, %s decode) gives the completions of sampling the same logits on the host',
    async (decode) => {
      const e = parseExport(
        syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 2, nPositions: 48, scale: 0.8 }, 9),
      );
      const gpuBackend = await WebGpuBackend.create(device, e.config, e.weights, { decode });
      // The same backend with decodeSampled hidden: the model reads logits back every step.
      const hostSampledGpu = hostSampled(gpuBackend);
      const prompts = ['Q:5,+3\n', 'Q:12,*3\n', 'Q:5,+3\n', 'Q:7\n', 'Q:5,+3\n', 'Q:90,-4,+1\n'];
      let tokens = 0;
      let stopped = 0;
      // Sampled at temperature 1 and 0.7 with top-p, greedy, with one-token and longer stop
      // strings, and with a cap longer than one call's steps: every reason to end a row.
      for (const request of [
        { maxTokens: 40, temperature: 1, topP: 1, seed: 3, stop: ['\n'] },
        { maxTokens: 45, temperature: 0.7, topP: 0.8, seed: 4, stop: ['+1', '='] },
        { maxTokens: 9, temperature: 1.3, topP: 0.95, seed: 5 },
        { maxTokens: 40, temperature: 0, topP: 1, seed: 6, stop: ['\n'] },
      ]) {
        const full = { ...request, prompts, logprobs: true };
        const onGpu = await new TinyMathModel(e, fixedSource(gpuBackend)).generate(full);
        const onHost = await new TinyMathModel(e, fixedSource(hostSampledGpu)).generate(full);
        onGpu.forEach((c, i) => {
          const h = onHost[i]!;
          expect({ text: c.text, finish: c.finishReason, n: c.completionTokens }).toEqual({
            text: h.text,
            finish: h.finishReason,
            n: h.completionTokens,
          });
          expect(c.tokenLogprobs!.length).toBe(h.tokenLogprobs!.length);
          c.tokenLogprobs!.forEach((lp, k) => expect(lp).toBeCloseTo(h.tokenLogprobs![k]!, 4));
          tokens += c.completionTokens;
          if (c.finishReason === 'stop') stopped++;
        });
      }
      // The requests did exercise long runs and stops.
      expect(tokens).toBeGreaterThan(200);
      expect(stopped).toBeGreaterThan(2);
      gpuBackend.dispose();
    },
  );

  it.each(['fused', 'layered'] as const)(
    'decodeSampled (%s decode) ends rows at their budget and at the batch length, and rejects bad requests',
    async (decode) => {
      const e = parseExport(
        syntheticExport({ nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 40, scale: 0.5 }, 12),
      );
      const backend = await WebGpuBackend.create(device, e.config, e.weights, { decode });
      const batch = await backend.createBatch(3, 12);
      const ids = e.tokenizer.encode('Q:12,+3\n');
      await batch.prefill([0, 1, 2], [ids.slice(0, 3), ids.slice(0, 5), ids.slice(0, 2)]);
      const request = {
        rows: [0, 1, 2],
        tokens: [ids[3]!, ids[5]!, ids[2]!],
        rngStates: [1, 2, 3],
        budgets: [4, 40, 40],
        steps: 20,
        temperature: 1,
        topP: 1,
        banned: [],
        endTokens: [],
      };
      const got = await batch.decodeSampled!(request);
      // Row 0 spends its budget of 4; rows 1 and 2 stop when the batch's 12 slots are full.
      expect([...got.counts]).toEqual([4, 7, 10]);
      expect([0, 1, 2].map((r) => batch.length(r))).toEqual([7, 12, 12]);
      for (let i = 0; i < 3; i++)
        for (let k = 0; k < got.counts[i]!; k++) {
          expect(got.tokens[i * 20 + k]).toBeGreaterThanOrEqual(0);
          expect(got.tokens[i * 20 + k]).toBeLessThan(e.config.vocabSize);
          expect(got.logprobs[i * 20 + k]).toBeLessThanOrEqual(0);
        }
      // Row 1 is full; then bad budgets, step counts and token ids.
      const one = { ...request, rows: [0], tokens: [3], rngStates: [1], budgets: [1] };
      for (const [bad, message] of [
        [{ rows: [1] }, /past the batch's maximum length/],
        [{ budgets: [0] }, /budget/],
        [{ steps: 0 }, /steps/],
        [{ banned: [999] }, /outside the vocabulary/],
      ] as const) {
        await expect(batch.decodeSampled!({ ...one, ...bad })).rejects.toThrow(message);
      }
      batch.release();
      backend.dispose();
    },
  );

  it.each(['fused', 'layered'] as const)(
    'repeating the last decode step (the benchmark, %s decode) leaves the batch state unchanged',
    async (decode) => {
      const e = parseExport(
        syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 40, scale: 0.5 }, 31),
      );
      const ids = e.tokenizer.encode('Q:37,+45\n37+45=82\n');
      const backend = await WebGpuBackend.create(device, e.config, e.weights, { decode });
      const run = async (repeat: boolean): Promise<Float32Array[]> => {
        const batch = await backend.createBatch(2, 30);
        await batch.prefill([0, 1], [ids.slice(0, 8), ids.slice(0, 5)]);
        const first = await batch.step([0, 1], [ids[8]!, ids[5]!]);
        if (repeat) {
          const gpuBatch = batch as BatchHandle & {
            repeatDecodeKernel(n: number): Promise<number>;
            repeatLayeredStages(n: number): Promise<Record<string, number>>;
          };
          expect(await gpuBatch.repeatDecodeKernel(3)).toBeGreaterThan(0);
          if (decode === 'layered') {
            // Each stage alone, as the benchmark times them.
            const stages = await gpuBatch.repeatLayeredStages(2);
            expect(Object.keys(stages)).toEqual(['qkv', 'attn', 'proj', 'mlp', 'head']);
            for (const ms of Object.values(stages)) expect(ms).toBeGreaterThan(0);
          } else {
            await expect(gpuBatch.repeatLayeredStages(1)).rejects.toThrow(/not a layered decode/);
          }
        }
        const next = await batch.step([0, 1], [ids[9]!, ids[6]!]);
        batch.release();
        return [first, next];
      };
      const [plain, repeated] = [await run(false), await run(true)];
      expect(maxAbsDiff(repeated[1]!, plain[1]!)).toBe(0);
      // A prefill is not a fused decode step: there is nothing to repeat.
      const batch = await backend.createBatch(1, 10);
      await batch.prefill([0], [ids.slice(0, 4)]);
      await expect(
        (
          batch as BatchHandle & { repeatDecodeKernel(n: number): Promise<number> }
        ).repeatDecodeKernel(1),
      ).rejects.toThrow(/no decode step/);
      batch.release();
      backend.dispose();
    },
  );

  it('decodes a generator layered on a real GPU, and everything else fused', () => {
    const gen = parseExport(
      syntheticExport({ nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 16 }, 1),
      'generator',
    );
    const prm = parseExport(syntheticConfidencePrm(14), 'prm');
    expect(preferredDecode(gen.config, false)).toEqual({ decode: 'layered', workgroup: 256 });
    expect(preferredDecode(gen.config, true)).toEqual({ decode: 'fused', workgroup: 128 });
    expect(preferredDecode(prm.config, false)).toEqual({ decode: 'fused', workgroup: 128 });
    const big = { ...gen.config, vocabSize: 300 };
    expect(preferredDecode(big, false).decode).toBe('fused');
    // Too wide for the layered kernels' workgroup memory (16 KB), not for the fused kernel's.
    const wide = { ...gen.config, nEmbd: 512, nHead: 8, nPositions: 256 };
    expect(preferredDecode(wide, false).decode).toBe('fused');
    expect(scoreTile(wide, 16384, 128)).toBeGreaterThan(0);
  });

  it('auto picks the CPU on SwiftShader; webgpu forces it; a lost device falls back to the CPU', async () => {
    const shape = { nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 64 };
    const gen = parseExport(syntheticExport(shape, 1), 'generator');
    const prm = parseExport(syntheticExport({ ...shape, role: 'prm' }, 2), 'prm');
    const revision = parseExport(syntheticExport({ ...shape, role: 'revision' }, 3), 'revision');
    const exports = { generator: gen, prm, revision };
    const auto = await TinyMathRuntime.create(exports, 'auto', gpu);
    expect(auto.backendName).toBe('cpu');
    expect(auto.notice).toMatch(/software renderer/);
    expect(auto.backend('revision').name).toBe('cpu');
    auto.dispose();

    const forced = await TinyMathRuntime.create(exports, 'webgpu', gpu);
    expect(forced.backendName).toBe('webgpu');
    expect(forced.notice).toBeNull();
    // On a software adapter the generator keeps the fused kernel (preferredDecode).
    const onGpu = forced.backend('generator') as WebGpuBackend;
    expect(onGpu.decodeMode).toBe('fused');
    // The revision model runs the generator's kernels over its own weights.
    const revisionOnGpu = forced.backend('revision') as WebGpuBackend;
    expect(revisionOnGpu.name).toBe('webgpu');
    expect(revisionOnGpu.sharesKernelsWith(onGpu)).toBe(true);
    expect(revisionOnGpu.weightBuffer).not.toBe(onGpu.weightBuffer);
    expect(revisionOnGpu.config.role).toBe('revision');
    const revisionModel = new TinyMathModel(revision, forced);
    const revisionRequest = {
      prompts: ['1+1=2\nA:2\n-\nQ:1,+1\n'],
      maxTokens: 12,
      temperature: 0,
      topP: 1,
      seed: 1,
    };
    const revisionBefore = await revisionModel.generate(revisionRequest);
    const notices: string[] = [];
    forced.onNotice((n) => notices.push(n));
    const model = new TinyMathModel(gen, forced);
    const request = {
      prompts: ['Q:1\n'],
      maxTokens: 40,
      temperature: 1,
      topP: 1,
      seed: 3,
      stop: [],
    };
    expect(await model.generate(request)).toHaveLength(1);
    // Lose the device in the middle of a run: the run fails with BackendLostError, then the CPU takes over.
    // 16 rows: some row is certain to still be running when the device goes.
    const running = model.generate({
      ...request,
      prompts: Array<string>(16).fill('Q:1\n'),
      maxTokens: 60,
    });
    setTimeout(() => forced.gpuDevice?.destroy(), 30);
    const failure = await running.then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(BackendLostError);
    expect((failure as Error).message).toMatch(/start it again/);
    await new Promise((r) => setTimeout(r, 50));
    expect(forced.backendName).toBe('cpu');
    expect(forced.notice).toMatch(/switched to the CPU/);
    expect(notices).toHaveLength(1);
    expect(model.label).toMatch(/\(CPU\)$/);
    const after = await model.generate(request);
    expect(after[0]!.completionTokens).toBeGreaterThan(0);
    // The fall-back covers the revision model too: its GPU backend is marked lost, and it now
    // writes on the CPU what it wrote on the GPU (greedy).
    expect(revisionOnGpu.lostReason).not.toBeNull();
    expect(forced.backend('revision').name).toBe('cpu');
    expect(forced.backend('prm').name).toBe('cpu');
    expect(revisionModel.backendName).toBe('cpu');
    expect((await revisionModel.generate(revisionRequest))[0]!.text).toBe(revisionBefore[0]!.text);
    forced.dispose();
  });

  it('a revision model of another shape compiles its own kernels; dispose frees each model once', async () => {
    const shape = { nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 64 };
    const exports = {
      generator: parseExport(syntheticExport(shape, 1), 'generator'),
      prm: parseExport(syntheticExport({ ...shape, role: 'prm' }, 2), 'prm'),
      revision: parseExport(
        syntheticExport({ ...shape, nLayer: 2, role: 'revision' }, 3),
        'revision',
      ),
    };
    const rt = await TinyMathRuntime.create(exports, 'webgpu', gpu);
    const g = rt.backend('generator') as WebGpuBackend;
    const r = rt.backend('revision') as WebGpuBackend;
    expect(r.name).toBe('webgpu');
    expect(r.sharesKernelsWith(g)).toBe(false);
    await expect(WebGpuBackend.sharing(g, r.config, exports.revision.weights)).rejects.toThrow(
      /another shape cannot share these kernels/,
    );
    // Sharing backends free their own weights only: disposing one leaves the other usable.
    const shared = await WebGpuBackend.sharing(
      g,
      exports.generator.config,
      exports.generator.weights,
    );
    expect(shared.sharesKernelsWith(g)).toBe(true);
    shared.dispose();
    const batch = await g.createBatch(1, 8);
    expect((await batch.prefill([0], [[19, 18, 4]])).length).toBe(3 * g.config.vocabSize);
    batch.release();
    rt.dispose();
    await expect(r.createBatch(1, 8)).rejects.toThrow();
  });
});

it.runIf(!enabled)('WebGPU tests run under `npm run test:gpu` only', () => {
  expect(enabled).toBe(false);
});
