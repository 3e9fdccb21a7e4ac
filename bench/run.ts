/// <reference types="@webgpu/types" />
/**
 * TinyMath runtime benchmark: `npm run bench [-- options]`.
 *
 *   decode tokens/s at batch 1, 8 and 64, CPU and (on a real adapter) WebGPU, side by side
 *   best-of-64 on a hardest-level problem and best-of-16 on a level-3 problem (CPU target: < 2 s)
 *   PRM beam search (N=16, M=4) on a level-5 problem with the TinyMath PRM: generator and verifier
 *   sequential revisions (N=16, 4 chains of 4) on a level-5 problem: first attempts on the
 *   generator, every revision on the revision model (the bundle's router), the PRM scoring each
 *   dispatches per decode step and the throughput bound they imply (µs per dispatch measured on
 *   the adapter in hand), and the fused kernel's time alone
 *   on a WebGPU adapter, first: its logits against the exports' golden.json (PyTorch), so the
 *   kernels timed are kernels that match (the revision model on the generator's kernels, as the
 *   runtime runs it)
 *
 * Options:
 *   --models DIR       folder holding tinymath-gen/ (default: public/models, else a synthetic model
 *                      of the full TinyMath shape with random weights: same compute, meaningless text),
 *                      and tinymath-prm/ and tinymath-rev/ for the searches that use them
 *   --swiftshader      also time WebGPU on a software adapter (slow; skipped by default)
 *   --workgroups       on a software adapter, also run the comparisons of decode variants (fused or
 *                      layered, threads per workgroup) and of the layered kernels' tile sizes (they
 *                      always run on a real GPU)
 *   --no-webgpu        CPU only
 *   --quick            fewer steps (smoke test)
 *   --json FILE        also write the results as JSON
 *   --write-gpu-bundle bundle this benchmark into .gpu/bench.mjs for the GPU machine (../shared/gpu/README.md)
 *
 * The numbers on a shared 2-core machine are noisy; compare ratios from one run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecoderBackend } from '../src/runtime/tinymath/backend';
import { CpuBackend } from '../src/runtime/tinymath/cpu';
import { fixedSource, goldenMaxDiff, syntheticExport } from '../src/runtime/tinymath/fixtures';
import { parseExport, type TinyMathExport } from '../src/runtime/tinymath/format';
import { TinyMathModel, type BackendSource } from '../src/runtime/tinymath/model';
import { RoutedGenerator } from '../src/runtime/tinymath/router';
import { TinyMathPrm } from '../src/runtime/tinymath/prm';
import type { LanguageModel, Verifier } from '../src/engine/types';
import { runToCompletion } from '../src/engine/run';
import { configForBudget } from '../src/engine/sweepBackend';
import { readExportDir, readGolden } from '../src/runtime/tinymath/node-files';
import { isSoftwareAdapter, requestTinyMathDevice } from '../src/runtime/tinymath/runtime';
import {
  kernelShapeKey,
  preferredDecode,
  WebGpuBackend,
  type DecodeMode,
} from '../src/runtime/tinymath/webgpu';
import { arithTask, arithTokenCaps } from '../src/tasks/arith/arith';

const BATCHES = [1, 8, 64];
/** Steps per submit when the GPU samples (the app's generator uses 32 too: model.ts). */
const SAMPLED_STEPS = 32;

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag('--quick');
/** The folder holding tinymath-gen/, tinymath-prm/ and tinymath-rev/. */
const modelsDir = option('--models') ?? 'public/models';

function now(): number {
  return performance.now();
}

async function writeGpuBundle(): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync('.gpu', { recursive: true });
  await esbuild.build({
    entryPoints: ['bench/run.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu', 'esbuild'],
    outfile: '.gpu/bench.mjs',
    logLevel: 'warning',
  });
  console.log(`wrote .gpu/bench.mjs
Next: run ../shared/gpu/prepare.sh (fills .gpu/ with node, the webgpu package and the Vulkan loader), then on
the GPU machine (carry ".gpu", plus "training/out" if public/models is not committed) start the command
with the line prepare.sh prints, followed by:  /tmp/node .gpu/bench.mjs`);
}

interface ModelChoice {
  model: TinyMathExport;
  source: string;
}

async function loadGenerator(): Promise<ModelChoice> {
  // The micro export is too small to time: without a trained full model, use the full shape.
  const gen = join(modelsDir, 'tinymath-gen');
  if (existsSync(join(gen, 'model.safetensors'))) {
    return { model: parseExport(await readExportDir(gen), 'generator'), source: gen };
  }
  // The full TinyMath shape (training/pipeline.py, preset "full"): the compute is the same as the
  // trained model's, only the text is noise.
  const shape = { nEmbd: 128, nLayer: 4, nHead: 4, nPositions: 1024, scale: 0.05 };
  return {
    model: parseExport(syntheticExport(shape, 1, 'synthetic-full-shape')),
    source: 'synthetic (full shape, random weights)',
  };
}

interface DecodeTiming {
  /** Tokens per second over the timed steps (the median of `repeats` runs). */
  rate: number;
  /** WebGPU only: the step's kernels' GPU time per step, without the readback (µs). */
  kernelUs: number | null;
  /** The layered decode only: µs per dispatch of each stage alone (repeatLayeredStages). */
  stagesUs?: Record<string, number>;
}

/**
 * Decode tokens/s for `batch` rows: one shared prompt prefilled and forked, then timed steps.
 * A GPU first runs untimed for `warmupSeconds` (its clocks ramp up: on an H200 the first timing
 * of a run read 50-58k tokens/s at batch 64, against 209k warm), and the rate is the median of
 * `repeats` runs. With `kernelRepeats`, each timed run also times the fused kernel alone
 * (repeatDecodeKernel). With `sampledSteps`, the GPU samples too (decodeSampled): that many
 * steps per submit and one readback, against one readback of the logits per step otherwise.
 */
async function decodeThroughput(
  backend: DecoderBackend,
  model: TinyMathExport,
  batch: number,
  steps: number,
  { warmupSeconds = 0, repeats = 1, kernelRepeats = 0, sampledSteps = 0 } = {},
): Promise<DecodeTiming> {
  const prompt = model.tokenizer.encode('Q:37,+45,*2,-13\n');
  const rows = Array.from({ length: batch }, (_, i) => i);
  // Feed a digit cycle: the cost of a step does not depend on which tokens are fed.
  const tokens = (t: number): number[] => rows.map((r) => 3 + ((r + t) % 10));
  const once = async (timed: boolean): Promise<DecodeTiming> => {
    const warmup = 2;
    const handle = await backend.createBatch(batch, prompt.length + warmup + steps);
    await handle.prefill([0], [prompt]);
    await handle.fork(0, rows.slice(1));
    for (let t = 0; t < warmup; t++) await handle.step(rows, tokens(t));
    let produced = batch * steps;
    const start = now();
    if (sampledSteps > 0 && handle.decodeSampled) {
      // No end tokens and a budget past the run: every row runs every step.
      produced = 0;
      let feed = tokens(warmup);
      for (let done = 0; done < steps; done += sampledSteps) {
        const n = Math.min(sampledSteps, steps - done);
        const got = await handle.decodeSampled({
          rows,
          tokens: feed,
          rngStates: rows,
          budgets: rows.map(() => steps),
          steps: n,
          temperature: 1,
          topP: 1,
          banned: [],
          endTokens: [],
        });
        feed = rows.map((r) => got.tokens[r * n + n - 1]!);
        for (const c of got.counts) produced += c;
      }
    } else {
      for (let t = 0; t < steps; t++) await handle.step(rows, tokens(t + warmup));
    }
    const seconds = (now() - start) / 1000;
    let kernelUs: number | null = null;
    if (timed && kernelRepeats > 0 && 'repeatDecodeKernel' in handle) {
      const repeat = (handle as { repeatDecodeKernel: (n: number) => Promise<number> })
        .repeatDecodeKernel;
      kernelUs = 1000 * (await repeat.call(handle, kernelRepeats));
    }
    let stagesUs: Record<string, number> | undefined;
    const layered = backend instanceof WebGpuBackend && backend.decodeMode === 'layered';
    if (timed && kernelRepeats > 0 && layered) {
      const gpuHandle = handle as unknown as {
        repeatLayeredStages: (n: number) => Promise<Record<string, number>>;
      };
      const ms = await gpuHandle.repeatLayeredStages(kernelRepeats);
      stagesUs = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, 1000 * v]));
    }
    handle.release();
    return { rate: produced / seconds, kernelUs, ...(stagesUs ? { stagesUs } : {}) };
  };
  const warmStart = now();
  while ((now() - warmStart) / 1000 < warmupSeconds) await once(false);
  const runs: DecodeTiming[] = [];
  for (let r = 0; r < repeats; r++) runs.push(await once(true));
  runs.sort((x, y) => x.rate - y.rate);
  return runs[runs.length >> 1]!;
}

/**
 * Decode on the GPU both ways, one after the other: the logits read back every step, then
 * sampled in the kernel (SAMPLED_STEPS steps per submit; the kernel-alone timing is the first's).
 */
async function readBackAndSampled(
  backend: DecoderBackend,
  model: TinyMathExport,
  batch: number,
  steps: number,
  options: Parameters<typeof decodeThroughput>[4] = {},
): Promise<{ read: DecodeTiming; sampled: DecodeTiming }> {
  const read = await decodeThroughput(backend, model, batch, steps, options);
  const sampled = await decodeThroughput(backend, model, batch, steps, {
    ...options,
    kernelRepeats: 0,
    sampledSteps: SAMPLED_STEPS,
  });
  return { read, sampled };
}

/** "qkv 5.1, attn 7.0, ...": each stage's µs per dispatch. */
function stageText(stagesUs: Record<string, number>): string {
  return Object.entries(stagesUs)
    .map(([stage, us]) => `${stage} ${fmt(us, 1)}`)
    .join(', ');
}

function median(xs: number[]): number {
  const v = xs.slice().sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
}

/** Tokens/s if a step cost only its dispatches (the issue's "dispatch bound"). */
function dispatchBound(batch: number, dispatchesPerStep: number, usPerDispatch: number): number {
  return batch / ((dispatchesPerStep * usPerDispatch) / 1e6);
}

interface BestOfResult {
  n: number;
  level: number;
  seconds: number;
  generatedTokens: number;
  correct: number;
}

async function bestOf(
  model: TinyMathModel,
  n: number,
  level: number,
  maxTokens: number,
): Promise<BestOfResult> {
  const [problem] = arithTask.sampleProblems(level, 1, 2024);
  const prompt = arithTask.formatPrompt(problem!);
  const start = now();
  const out = await model.generate({
    prompts: Array<string>(n).fill(prompt),
    maxTokens,
    temperature: 0.8,
    topP: 1,
    seed: 7,
  });
  const seconds = (now() - start) / 1000;
  return {
    n,
    level,
    seconds,
    generatedTokens: out.reduce((s, c) => s + c.completionTokens, 0),
    correct: out.filter((c) => arithTask.isCorrect(problem!, arithTask.extractAnswer(c.text)))
      .length,
  };
}

/**
 * WebGPU logits against PyTorch's golden logits for each export under the models folder: the
 * kernels being timed are the kernels that match (max abs diff <= 1e-3, as the parity tests ask).
 */
async function gpuParity(device: GPUDevice, software: boolean): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  console.log(`\nWebGPU parity with PyTorch (golden.json, every logit of prefill and decode)`);
  // The generator's backend stays until the revision model, which runs on its kernels.
  let generator: WebGpuBackend | null = null;
  for (const name of ['tinymath-gen', 'tinymath-prm', 'tinymath-rev']) {
    const folder = join(modelsDir, name);
    if (!existsSync(join(folder, 'golden.json'))) continue;
    const model = parseExport(await readExportDir(folder));
    const golden = await readGolden(folder);
    const shared: boolean =
      model.config.role === 'revision' &&
      generator !== null &&
      kernelShapeKey(generator.config) === kernelShapeKey(model.config);
    const backend: WebGpuBackend = shared
      ? await WebGpuBackend.sharing(generator!, model.config, model.weights)
      : await WebGpuBackend.create(
          device,
          model.config,
          model.weights,
          preferredDecode(model.config, software),
        );
    // On a software adapter one input, and for the revision model its revision prompt.
    const inputs = software
      ? [
          (model.config.role === 'revision'
            ? golden.inputs.find((i) => i.positions[0] !== 0)
            : undefined) ?? golden.inputs[0]!,
        ]
      : golden.inputs;
    let worst = 0;
    for (const input of inputs) {
      const diff = await goldenMaxDiff(backend, input.ids, input.positions, input.logits.flat());
      worst = Math.max(worst, diff);
    }
    if (model.config.role === 'generator') generator = backend;
    else backend.dispose();
    const tolerance = Math.min(1e-3, golden.tolerance);
    const ok = worst <= tolerance;
    out.push({ model: name, inputs: inputs.length, maxAbsDiff: worst, tolerance, ok, shared });
    console.log(
      `${name}: max abs diff ${worst.toExponential(2)} over ${inputs.length} inputs (tolerance ${tolerance})${shared ? " on tinymath-gen's kernels" : ''}: ${ok ? 'ok' : 'FAILED'}`,
    );
  }
  generator?.dispose();
  if (out.length === 0) console.log(`no golden.json under ${modelsDir}: not checked`);
  return out;
}

/**
 * The decode compiled other ways, side by side at batch 64: the fused kernel (one dispatch a
 * step, one workgroup a row) and the layered one (four dispatches a layer, many workgroups a
 * row), each at several numbers of threads per workgroup. Each is checked against golden.json
 * first, then timed with the logits read back, sampled in the kernel, and alone. Which is
 * fastest depends on the GPU; on an H200 an earlier, unwarmed comparison of fused kernels
 * scattered 2x between runs.
 */
async function decodeVariants(
  device: GPUDevice,
  model: TinyMathExport,
  usPerDispatch: number,
  software: boolean,
): Promise<Record<string, unknown>[]> {
  const limit = Math.min(
    device.limits.maxComputeInvocationsPerWorkgroup,
    device.limits.maxComputeWorkgroupSizeX,
  );
  const variants: { decode: DecodeMode; workgroup: number }[] = [
    ...[32, 64, 128, 256, 512, 1024].map((workgroup) => ({ decode: 'fused' as const, workgroup })),
    ...[32, 64, 128, 256].map((workgroup) => ({ decode: 'layered' as const, workgroup })),
  ].filter((v) => v.workgroup <= limit);
  const folder = join(modelsDir, 'tinymath-gen');
  const golden = existsSync(join(folder, 'golden.json')) ? await readGolden(folder) : null;
  const batch = 64;
  const steps = software ? 2 : 128;
  const timing = software
    ? { kernelRepeats: 1 }
    : { warmupSeconds: 0.5, repeats: 3, kernelRepeats: 100 };
  console.log(
    `\nDecode variants (batch ${batch}; tokens/s; µs per step for the step alone; share of the dispatch bound from the sampled rate)`,
  );
  console.log(
    `mode    | threads | dispatches/step | parity  | read back  | sampled    | step alone (µs) | share of bound`,
  );
  const out: Record<string, unknown>[] = [];
  const stageLines: string[] = [];
  for (const { decode, workgroup } of variants) {
    const backend = await WebGpuBackend.create(device, model.config, model.weights, {
      workgroup,
      decode,
    });
    const input = golden?.inputs[0];
    const parity = input
      ? await goldenMaxDiff(backend, input.ids, input.positions, input.logits.flat())
      : null;
    const head = [
      decode.padEnd(7),
      String(workgroup).padStart(7),
      String(backend.dispatchesPerStep).padStart(15),
      (parity === null ? '-' : parity.toExponential(1)).padStart(7),
    ];
    if (parity !== null && parity > Math.min(1e-3, golden!.tolerance)) {
      console.log([...head, 'FAILED parity, not timed'].join(' | '));
      out.push({ decode, workgroup, parity, ok: false });
      backend.dispose();
      continue;
    }
    const { read, sampled } = await readBackAndSampled(backend, model, batch, steps, timing);
    const share =
      (100 * sampled.rate) / dispatchBound(batch, backend.dispatchesPerStep, usPerDispatch);
    out.push({
      decode,
      workgroup,
      dispatchesPerStep: backend.dispatchesPerStep,
      parity,
      ok: true,
      webgpu: read.rate,
      webgpuSampled: sampled.rate,
      stepUs: read.kernelUs,
      ...(read.stagesUs ? { stagesUs: read.stagesUs } : {}),
      shareOfBound: share,
    });
    backend.dispose();
    console.log(
      [
        ...head,
        fmt(read.rate).padStart(10),
        fmt(sampled.rate).padStart(10),
        fmt(read.kernelUs ?? NaN).padStart(15),
        `${fmt(share, 1)}%`.padStart(14),
      ].join(' | '),
    );
    if (read.stagesUs)
      stageLines.push(`${String(workgroup).padStart(4)} threads: ${stageText(read.stagesUs)}`);
  }
  if (stageLines.length > 0) {
    console.log('layered stages alone (µs per dispatch; layer 0, head without sampling):');
    for (const line of stageLines) console.log(`  ${line}`);
  }
  return out;
}

/**
 * The layered decode at the runtime's thread count with tiles of 16, 32 (the default) and 64
 * outputs: fewer, larger tiles mean fewer workgroups per row (at batch 64 the MLP alone launches
 * 64 x 16 workgroups of 256 threads with tiles of 32), longer loops per thread. Each is checked
 * against golden.json, then all are timed in turns, three rounds at batch 8 and 64, so that drift
 * on a shared machine hits them alike; the median and the range of the rounds are printed.
 */
async function layeredTiles(
  device: GPUDevice,
  model: TinyMathExport,
  usPerDispatch: number,
  software: boolean,
): Promise<Record<string, unknown>[]> {
  const { workgroup } = preferredDecode(model.config, false);
  const folder = join(modelsDir, 'tinymath-gen');
  const golden = existsSync(join(folder, 'golden.json')) ? await readGolden(folder) : null;
  const input = golden?.inputs[0];
  const batches = [8, 64];
  const rounds = software ? 1 : 3;
  const steps = software ? 2 : 128;
  console.log(
    `\nLayered tiles (${workgroup} threads, sampled; tokens/s, median of ${rounds} rounds taken in turns [lowest-highest]; share of the dispatch bound from the median)`,
  );
  console.log(
    `tile | workgroups per row (qkv, proj, mlp) | parity  | ${batches.map((b) => `batch ${b}`.padEnd(33)).join(' | ')}`,
  );
  const tiles: { tileOutputs: number; backend: WebGpuBackend; parity: number | null }[] = [];
  for (const tileOutputs of [16, 32, 64].filter((t) => t <= workgroup)) {
    const backend = await WebGpuBackend.create(device, model.config, model.weights, {
      workgroup,
      decode: 'layered',
      tileOutputs,
    });
    const parity = input
      ? await goldenMaxDiff(backend, input.ids, input.positions, input.logits.flat())
      : null;
    if (parity !== null && parity > Math.min(1e-3, golden!.tolerance)) {
      console.log(
        `${String(tileOutputs).padStart(4)} | FAILED parity (${parity.toExponential(1)}), not timed`,
      );
      backend.dispose();
      continue;
    }
    tiles.push({ tileOutputs, backend, parity });
  }
  const rates = new Map<string, number[]>();
  const stages = new Map<number, Record<string, number>>();
  for (let r = 0; r < rounds; r++) {
    for (const b of batches) {
      for (const t of tiles) {
        const timing = await decodeThroughput(t.backend, model, b, steps, {
          warmupSeconds: software || r > 0 ? 0 : 0.5,
          kernelRepeats: 0,
          sampledSteps: SAMPLED_STEPS,
        });
        const key = `${t.tileOutputs}/${b}`;
        rates.set(key, [...(rates.get(key) ?? []), timing.rate]);
      }
    }
  }
  for (const t of tiles) {
    const read = await decodeThroughput(t.backend, model, 64, steps, {
      kernelRepeats: software ? 1 : 100,
    });
    if (read.stagesUs) stages.set(t.tileOutputs, read.stagesUs);
  }
  const out: Record<string, unknown>[] = [];
  for (const t of tiles) {
    const shape = t.backend.layered!;
    const cells = batches.map((b) => {
      const xs = rates.get(`${t.tileOutputs}/${b}`)!;
      const m = median(xs);
      const share = (100 * m) / dispatchBound(b, t.backend.dispatchesPerStep, usPerDispatch);
      return {
        batch: b,
        rates: xs,
        median: m,
        share,
        text: `${fmt(m)} [${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}] ${fmt(share, 1)}%`,
      };
    });
    out.push({
      tileOutputs: t.tileOutputs,
      workgroup,
      parity: t.parity,
      sampled: cells.map(({ text: _text, ...c }) => c),
      stagesUs: stages.get(t.tileOutputs) ?? null,
    });
    console.log(
      [
        String(t.tileOutputs).padStart(4),
        `${shape.qkvTiles}, ${shape.projTiles}, ${shape.mlpTiles}`.padEnd(35),
        (t.parity === null ? '-' : t.parity.toExponential(1)).padStart(7),
        ...cells.map((c) => c.text.padEnd(33)),
      ].join(' | '),
    );
    t.backend.dispose();
  }
  for (const [tile, st] of stages)
    console.log(`  tiles of ${tile}, stages alone at batch 64 (µs per dispatch): ${stageText(st)}`);
  return out;
}

/**
 * What one dispatch costs on this adapter: many one-workgroup dispatches of a trivial kernel in
 * one compute pass (the bound's "µs per dispatch"), and one submit with a 4-byte readback (what
 * each decode step pays on top); also dispatches as wide as the layered decode's (1,024
 * workgroups of 256 threads) that do nothing, which shows whether width costs. Median of 5
 * timings each.
 */
async function dispatchCost(
  device: GPUDevice,
  software: boolean,
): Promise<{
  dispatches: number;
  usPerDispatch: number;
  usPerWideDispatch: number;
  usRoundTrip: number;
}> {
  const narrow = trivialPasses(device, 64);
  const wide = trivialPasses(device, 256);
  const dispatches = 4000;
  const one = await narrow.median(() => [[1, 1]]);
  const many = await narrow.median(() => Array.from({ length: dispatches + 1 }, () => [1, 1]));
  // The same with 16 x 64 workgroups of 256 threads, the size of the layered decode's widest
  // stages at batch 64, all but one leaving at once: what launching that many costs.
  const wideDispatches = software ? 10 : dispatches;
  const wideMs = await wide.median(() =>
    Array.from({ length: wideDispatches + 1 }, () => [16, 64]),
  );
  narrow.destroy();
  wide.destroy();
  return {
    dispatches,
    usPerDispatch: (1000 * (many - one)) / dispatches,
    usPerWideDispatch: (1000 * (wideMs - one)) / wideDispatches,
    usRoundTrip: 1000 * one,
  };
}

/**
 * Timing of compute passes of dispatches that do nothing (one thread of the first workgroup
 * bumps a counter, so each dispatch writes the buffer the next one reads, as a decode's do):
 * `median(grids)` submits one pass of those dispatches with a 4-byte readback, once untimed, then
 * 5 times, and gives the median in ms.
 */
function trivialPasses(
  device: GPUDevice,
  workgroup: number,
): { median: (grids: () => [number, number][]) => Promise<number>; destroy: () => void } {
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@compute @workgroup_size(${workgroup}) fn main(@builtin(local_invocation_index) i: u32,
    @builtin(workgroup_id) w: vec3<u32>) {
  if (i == 0u && w.x == 0u && w.y == 0u) { x[0] = x[0] + 1u; }
}`,
  });
  const layout = device.createBindGroupLayout({
    entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } }],
  });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  const buffer = device.createBuffer({
    size: 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const readback = device.createBuffer({
    size: 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const bindGroup = device.createBindGroup({
    layout,
    entries: [{ binding: 0, resource: { buffer } }],
  });
  const submit = async (grids: [number, number][]): Promise<number> => {
    const start = now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (const [x, y] of grids) pass.dispatchWorkgroups(x, y);
    pass.end();
    encoder.copyBufferToBuffer(buffer, 0, readback, 0, 4);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    readback.unmap();
    return now() - start;
  };
  return {
    median: async (grids) => {
      const g = grids();
      await submit(g);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await submit(g));
      return median(times);
    },
    destroy: () => {
      buffer.destroy();
      readback.destroy();
    },
  };
}

/**
 * µs per step of a decode step's dispatches with nothing in them (`passes`: trivialPasses at
 * `gpu`'s threads per workgroup): the same grids as `gpu`'s step at batch `batch` (layered: 4 per
 * layer and the head; fused: one), SAMPLED_STEPS steps per submit and one 4-byte readback, as the
 * sampled timing submits them. Timed right after the real
 * step, it is the dispatch bound at the machine's state of the moment.
 */
async function emptyStepUs(
  passes: ReturnType<typeof trivialPasses>,
  gpu: WebGpuBackend,
  batch: number,
): Promise<number> {
  const step: [number, number][] = [];
  if (gpu.layered) {
    const { qkvTiles, attnTiles, projTiles, mlpTiles } = gpu.layered;
    for (let l = 0; l < gpu.config.nLayer; l++)
      step.push([qkvTiles, batch], [attnTiles, batch], [projTiles, batch], [mlpTiles, batch]);
    step.push([1, batch]);
  } else step.push([batch, 1]);
  const ms = await passes.median(() => Array.from({ length: SAMPLED_STEPS }, () => step).flat());
  return (1000 * ms) / SAMPLED_STEPS;
}

/** Dawn's instance must outlive its devices: if it is garbage-collected, the process crashes. */
const liveGpus: GPU[] = [];

async function openGpu(): Promise<
  { device: GPUDevice; adapterName: string } | { skipped: string }
> {
  if (flag('--no-webgpu')) return { skipped: 'disabled (--no-webgpu)' };
  let gpu: GPU;
  try {
    const spec = 'webgpu';
    const mod = (await import(/* @vite-ignore */ spec)) as {
      create: (f: string[]) => GPU;
      globals: object;
    };
    Object.assign(globalThis, mod.globals);
    gpu = mod.create([]);
    liveGpus.push(gpu);
  } catch (e) {
    return { skipped: `the webgpu package did not load (${(e as Error).message})` };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { skipped: 'no WebGPU adapter (no Vulkan driver found)' };
  const info = adapter.info;
  const adapterName = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  if (isSoftwareAdapter(adapter) && !flag('--swiftshader')) {
    return {
      skipped: `software adapter (${adapterName}): slower than the CPU path; pass --swiftshader to time it anyway`,
    };
  }
  return { device: await requestTinyMathDevice(adapter), adapterName };
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

async function main(): Promise<void> {
  if (flag('--write-gpu-bundle')) return writeGpuBundle();
  const { model, source } = await loadGenerator();
  const c = model.config;
  console.log(`TinyMath runtime benchmark`);
  console.log(
    `model: ${source} (${fmt(c.parameters)} parameters, ${c.nLayer} layers x ${c.nEmbd}, context ${c.nPositions})`,
  );
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

  const cpu = new CpuBackend(c, model.weights);
  const gpuInfo = await openGpu();
  let gpu: WebGpuBackend | null = null;
  const software = 'adapterName' in gpuInfo && /swiftshader/i.test(gpuInfo.adapterName);
  const device = 'device' in gpuInfo ? gpuInfo.device : null;
  if ('device' in gpuInfo) {
    // As the runtime decodes on this adapter.
    const decode = preferredDecode(c, software);
    gpu = await WebGpuBackend.create(gpuInfo.device, c, model.weights, decode);
    console.log(
      `WebGPU: ${gpuInfo.adapterName}; decode: ${gpu.decodeMode}, ${gpu.workgroup} threads`,
    );
  } else {
    console.log(`WebGPU: skipped, ${gpuInfo.skipped}`);
  }
  const results: Record<string, unknown> = {
    model: source,
    parameters: c.parameters,
    webgpu: 'skipped' in gpuInfo ? gpuInfo.skipped : gpuInfo.adapterName,
  };

  if (gpu) results['parity'] = await gpuParity(device!, software);
  // The dispatch bound uses this adapter's own cost per dispatch.
  const cost = gpu ? await dispatchCost(device!, software) : null;
  if (cost) {
    results['dispatchCost'] = cost;
    console.log(
      `\nThis adapter: ${fmt(cost.usPerDispatch, 2)} µs per dispatch (${cost.dispatches} one-workgroup dispatches in one pass),` +
        ` ${fmt(cost.usRoundTrip, 1)} µs per submit + 4-byte readback;` +
        ` ${fmt(cost.usPerWideDispatch, 2)} µs per dispatch of 16 x 64 workgroups of 256 threads that leave at once`,
    );
  }

  console.log(`\nDecode throughput (tokens/s; one token per row per step, context ~20-150 tokens)`);
  console.log(
    `  WebGPU, read back: the logits come back every step and the host samples (one submit per step).\n` +
      `  WebGPU, sampled: the kernel samples too (decodeSampled), ${SAMPLED_STEPS} steps per submit, one readback.\n` +
      `  Dispatch bound: ${cost ? fmt(cost.usPerDispatch, 2) : '-'} µs per dispatch x ${gpu?.dispatchesPerStep ?? '-'} per step; its share is the sampled rate's.\n` +
      `  Empty step: the step's ${gpu?.dispatchesPerStep ?? '-'} dispatches with nothing in them (same grids, ${SAMPLED_STEPS} steps per submit), timed right after the sampled rate;\n` +
      `  it is the bound at the machine's state of the moment, and "of empty" the sampled step's share of it.`,
  );
  console.log(
    `batch | CPU        | WebGPU, read back | WebGPU, sampled | sampled/CPU | µs/step: read back (kernel alone), sampled | dispatch bound | share of bound | empty step µs, of empty`,
  );
  const decode: Record<string, unknown>[] = [];
  const emptyPasses = gpu ? trivialPasses(device!, gpu.workgroup) : null;
  for (const b of BATCHES) {
    const steps = quick ? 8 : b === 64 ? 32 : 48;
    const cpuRate = (await decodeThroughput(cpu, model, b, steps)).rate;
    let g: DecodeTiming | null = null;
    let gs: DecodeTiming | null = null;
    if (gpu) {
      const timing = software
        ? { steps: 4, options: { kernelRepeats: 2 } }
        : {
            steps: quick ? 32 : 128,
            options: { warmupSeconds: quick ? 0.2 : 1, repeats: quick ? 1 : 5, kernelRepeats: 200 },
          };
      ({ read: g, sampled: gs } = await readBackAndSampled(
        gpu,
        model,
        b,
        timing.steps,
        timing.options,
      ));
    }
    const readRate = g?.rate ?? null;
    const sampledRate = gs?.rate ?? null;
    const bound = gpu && cost ? dispatchBound(b, gpu.dispatchesPerStep, cost.usPerDispatch) : null;
    const emptyUs = gpu && emptyPasses ? await emptyStepUs(emptyPasses, gpu, b) : null;
    const ofEmpty =
      sampledRate === null || emptyUs === null ? null : (emptyUs * sampledRate) / (1e6 * b);
    decode.push({
      batch: b,
      cpu: cpuRate,
      webgpu: readRate,
      webgpuSampled: sampledRate,
      kernelUs: g?.kernelUs ?? null,
      bound,
      emptyStepUs: emptyUs,
      shareOfEmptyStep: ofEmpty,
    });
    const us = (rate: number | null): string => (rate === null ? '-' : fmt((1e6 * b) / rate));
    console.log(
      [
        String(b).padStart(5),
        fmt(cpuRate).padStart(10),
        (readRate === null ? '-' : fmt(readRate)).padStart(17),
        (sampledRate === null ? '-' : fmt(sampledRate)).padStart(15),
        (sampledRate === null ? '-' : `${fmt(sampledRate / cpuRate, 1)}x`).padStart(11),
        `${us(readRate)}${g?.kernelUs == null ? '' : ` (${fmt(g.kernelUs)})`}, ${us(sampledRate)}`.padStart(
          42,
        ),
        (bound === null ? '-' : fmt(bound)).padStart(14),
        (sampledRate === null || bound === null
          ? '-'
          : `${fmt((100 * sampledRate) / bound, 1)}%`
        ).padStart(14),
        emptyUs === null || ofEmpty === null
          ? '-'
          : `${fmt(emptyUs, 1)}, ${fmt(100 * ofEmpty, 1)}%`,
      ].join(' | '),
    );
  }
  emptyPasses?.destroy();
  results['decode'] = decode;
  if (gpu) {
    console.log(
      `dispatches per decode step: ${gpu.dispatchesPerStep} (${
        gpu.decodeMode === 'fused'
          ? 'the whole model and the sampler are one fused kernel'
          : `the layered decode at ${gpu.workgroup} threads: ${(gpu.dispatchesPerStep - 1) / c.nLayer} per layer, then the head and sampler`
      }); prefill: ${2 * c.nLayer} per call.`,
    );
  }
  if (gpu && cost && (!software || flag('--workgroups'))) {
    results['decodeVariants'] = await decodeVariants(device!, model, cost.usPerDispatch, software);
    results['layeredTiles'] = await layeredTiles(device!, model, cost.usPerDispatch, software);
  }
  if (gpu && !software && !quick) {
    // Where the GPU path saturates (the CPU path is not timed at these sizes).
    const large: Record<string, unknown>[] = [];
    for (const b of [256, 1024]) {
      try {
        const { read: g, sampled: gs } = await readBackAndSampled(gpu, model, b, 64, {
          repeats: 3,
          kernelRepeats: 50,
        });
        large.push({ batch: b, webgpu: g.rate, webgpuSampled: gs.rate, kernelUs: g.kernelUs });
        console.log(
          `batch ${b} (WebGPU only): read back ${fmt(g.rate)} tokens/s, ${fmt((1e6 * b) / g.rate)} µs/step (kernel alone ${fmt(g.kernelUs ?? NaN)});` +
            ` sampled ${fmt(gs.rate)} tokens/s, ${fmt((1e6 * b) / gs.rate)} µs/step`,
        );
      } catch (e) {
        console.log(`batch ${b} (WebGPU only): not run (${(e as Error).message})`);
      }
    }
    results['decodeLarge'] = large;
  }

  // Token caps as the app and the CLI give each level (its longest solution fits).
  const hardest = arithTask.levels;
  const at = (level: number) => ({ level, max: arithTokenCaps(level).solution });
  const runs: { name: string; backend: DecoderBackend; n: number; level: number; max: number }[] = [
    { name: 'CPU', backend: cpu, n: 16, ...at(3) },
    { name: 'CPU', backend: cpu, n: 64, ...at(hardest) },
  ];
  // On a real GPU, the other decode too (the default is `gpu`'s), for the same searches.
  let otherGpu: WebGpuBackend | null = null;
  if (gpu && !software) {
    otherGpu = await WebGpuBackend.create(device!, c, model.weights, {
      decode: gpu.decodeMode === 'fused' ? 'layered' : 'fused',
    });
    // Each GPU run twice, in the order A B ... B A, after an untimed run of each at the same
    // size. The first timed run is slow all the same: on an H100 the first layered best-of-64 on
    // level 7 took 0.18-0.23 s and the last 0.08-0.09 s, in five runs, with this warm-up or with
    // best-of-16 on level 3 only (src/runtime/tinymath/README.md); the order shows it.
    const gpuRuns = [gpu, otherGpu].flatMap((b) => [
      { name: `WebGPU ${b.decodeMode}`, backend: b, n: 16, ...at(3) },
      { name: `WebGPU ${b.decodeMode}`, backend: b, n: 64, ...at(hardest) },
    ]);
    for (const r of gpuRuns)
      await bestOf(new TinyMathModel(model, fixedSource(r.backend)), r.n, r.level, r.max);
    runs.push(...gpuRuns, ...gpuRuns.slice().reverse());
  }
  console.log(
    `\nBest-of-N sampling (temperature 0.8, until <eos> or the token cap; one shared prompt, prefilled once${
      otherGpu ? '; each WebGPU run twice, in the order A B B A, after an untimed warm-up' : ''
    })`,
  );
  const bestOfResults: Record<string, unknown>[] = [];
  for (const r of quick ? runs.filter((x) => x.n === 16) : runs) {
    const res = await bestOf(new TinyMathModel(model, fixedSource(r.backend)), r.n, r.level, r.max);
    bestOfResults.push({ backend: r.name, ...res });
    const target =
      r.name === 'CPU' && r.n === 16
        ? ` (target < 2 s: ${res.seconds < 2 ? 'met' : 'MISSED'})`
        : '';
    console.log(
      `${r.name.padEnd(14)} best-of-${String(r.n).padEnd(2)} level ${r.level}: ${fmt(res.seconds, 2)} s, ${fmt(res.generatedTokens)} tokens` +
        ` (${fmt(res.generatedTokens / res.seconds)} tok/s), ${res.correct}/${r.n} correct${target}`,
    );
  }
  results['bestOf'] = bestOfResults;

  // Tree search: most of its time is the PRM (it scores every candidate of every round).
  const prmDir = join(modelsDir, 'tinymath-prm');
  if (existsSync(join(prmDir, 'model.safetensors'))) {
    const prmExport = parseExport(await readExportDir(prmDir), 'prm');
    const searches: { name: string; gen: DecoderBackend; prm: DecoderBackend }[] = [
      { name: 'CPU', gen: cpu, prm: new CpuBackend(prmExport.config, prmExport.weights) },
    ];
    let gpuPrm: WebGpuBackend | null = null;
    if (gpu && !software) {
      gpuPrm = await WebGpuBackend.create(device!, prmExport.config, prmExport.weights);
      // A B B A, as the best-of runs.
      for (const b of [gpu, otherGpu!, otherGpu!, gpu])
        searches.push({ name: `WebGPU ${b.decodeMode}`, gen: b, prm: gpuPrm });
    }
    console.log(`\nPRM beam search (N=16, M=4, temperature 1, last-step scores)`);
    const beam: Record<string, unknown>[] = [];
    const [problem] = arithTask.sampleProblems(5, 1, 2024);
    const caps = arithTokenCaps(5);
    const searchSettings = {
      temperature: 1,
      topP: 1,
      aggregation: 'last' as const,
      maxRounds: 40,
      solutionMaxTokens: caps.solution,
      stepMaxTokens: caps.step,
    };
    /** One run of a strategy on the level-5 problem, timed and printed. */
    const timeLevel5 = async (
      name: string,
      lm: LanguageModel,
      verifier: Verifier,
      config: ReturnType<typeof configForBudget>,
    ): Promise<Record<string, unknown>> => {
      const start = now();
      const result = await runToCompletion({
        task: arithTask,
        problem: problem!,
        model: lm,
        verifier,
        seed: 3,
        config,
      });
      const seconds = (now() - start) / 1000;
      const c = result.costs;
      console.log(
        `${name.padEnd(14)} level 5: ${fmt(seconds, 2)} s, ${fmt(c.generatedTokens)} generated + ${fmt(c.promptTokens)} prompt + ${fmt(c.verifierTokens)} verifier tokens, ${result.correct ? 'correct' : 'wrong'}`,
      );
      return { backend: name, seconds, costs: c, correct: result.correct };
    };
    for (const s of searches) {
      const source: BackendSource = {
        backend: (role) => (role === 'prm' ? s.prm : s.gen),
        failed: (e) => e,
      };
      beam.push(
        await timeLevel5(
          s.name,
          new TinyMathModel(model, source),
          new TinyMathPrm(prmExport, source),
          configForBudget({ kind: 'beam', beamWidth: 4 }, 16, searchSettings),
        ),
      );
    }
    results['beam'] = beam;

    // Sequential revisions: the first attempt of each chain on the generator, every later one
    // (a prompt with earlier attempts) on the revision model, as the app's bundle routes them.
    const revDir = join(modelsDir, 'tinymath-rev');
    const trained = existsSync(join(modelsDir, 'tinymath-gen', 'model.safetensors'));
    if (trained && existsSync(join(revDir, 'model.safetensors'))) {
      const revExport = parseExport(await readExportDir(revDir), 'revision');
      const cpuPrm = searches[0]!.prm;
      const chainsRuns: {
        name: string;
        gen: DecoderBackend;
        rev: DecoderBackend;
        prm: DecoderBackend;
      }[] = [
        {
          name: 'CPU',
          gen: cpu,
          rev: new CpuBackend(revExport.config, revExport.weights),
          prm: cpuPrm,
        },
      ];
      let gpuRev: WebGpuBackend | null = null;
      if (gpu && !software && gpuPrm) {
        gpuRev =
          kernelShapeKey(revExport.config) === kernelShapeKey(gpu.config)
            ? await WebGpuBackend.sharing(gpu, revExport.config, revExport.weights)
            : await WebGpuBackend.create(
                device!,
                revExport.config,
                revExport.weights,
                preferredDecode(revExport.config, false),
              );
        chainsRuns.push({ name: `WebGPU ${gpu.decodeMode}`, gen: gpu, rev: gpuRev, prm: gpuPrm });
      }
      const chains = 4;
      console.log(
        `\nSequential revisions (N=16, ${chains} chains of ${16 / chains}, temperature 1, PRM-weighted vote): ${chains} first attempts on the generator, ${16 - chains} revisions on the revision model`,
      );
      const revisions: Record<string, unknown>[] = [];
      for (const r of chainsRuns) {
        const source: BackendSource = {
          backend: (role) => (role === 'prm' ? r.prm : role === 'revision' ? r.rev : r.gen),
          failed: (e) => e,
        };
        revisions.push(
          await timeLevel5(
            r.name,
            new RoutedGenerator(
              new TinyMathModel(model, source),
              new TinyMathModel(revExport, source),
            ),
            new TinyMathPrm(prmExport, source),
            configForBudget(
              { kind: 'revisions', chainLength: 16 / chains, selection: 'verifier' },
              16,
              searchSettings,
            ),
          ),
        );
      }
      gpuRev?.dispose();
      results['revisions'] = revisions;
    }
    gpuPrm?.dispose();
  }
  const json = option('--json');
  if (json) writeFileSync(json, JSON.stringify(results, null, 2));
  gpu?.dispose();
  otherGpu?.dispose();
  device?.destroy();
  liveGpus.length = 0;
}

await main();
