/// <reference types="@webgpu/types" />
/**
 * parity.html: the WebGPU kernels in a real browser, checked against PyTorch's golden logits
 * (and against the CPU path on a synthetic model, which needs no export).
 *
 * Query parameters:
 *   models   comma-separated export folder URLs (each with config.json, tokenizer.json,
 *            model.safetensors and golden.json); default
 *            `models/tinymath-gen/,models/tinymath-prm/,models/tinymath-rev/`. A revision model
 *            listed after a generator of its shape runs on that generator's kernels, as in the
 *            runtime, and is checked on a revision prompt too.
 *   inputs   golden inputs per export (default 1; SwiftShader is slow)
 *   adapter  `any` (default) or `hardware`: with `any`, a software adapter is used (forced WebGPU)
 *
 * The result lands in `window.__tinymathParity` and, as text, in `#result`.
 */
import { CpuBackend } from './cpu';
import { fetchExport } from './fetch';
import { fixedSource, goldenMaxDiff, hostSampled, syntheticExport } from './fixtures';
import { parseExport, type TinyMathExport } from './format';
import type { Golden } from './node-files';
import { TinyMathModel } from './model';
import { isSoftwareAdapter, requestTinyMathDevice } from './runtime';
import { WORKGROUP } from './kernels';
import { isRevisionPrompt } from './format';
import { kernelShapeKey, preferredDecode, WebGpuBackend } from './webgpu';

export interface ParityCase {
  name: string;
  /** Largest |webgpu - reference| over the checked logits (prefill and decode). */
  maxAbsDiff: number;
  tolerance: number;
  ok: boolean;
  positions: number;
}

export interface ParityReport {
  done: true;
  ok: boolean;
  adapter: string;
  software: boolean;
  cases: ParityCase[];
  error: string | null;
}

declare global {
  interface Window {
    __tinymathParity?: ParityReport;
  }
}

async function run(): Promise<ParityReport> {
  const params = new URLSearchParams(location.search);
  const folders = (
    params.get('models') ?? 'models/tinymath-gen/,models/tinymath-prm/,models/tinymath-rev/'
  )
    .split(',')
    .filter(Boolean);
  const inputs = Number(params.get('inputs') ?? 1);
  const gpu = navigator.gpu;
  if (!gpu) throw new Error('navigator.gpu is missing: this browser has no WebGPU');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const software = isSoftwareAdapter(adapter);
  if (software && params.get('adapter') === 'hardware')
    throw new Error('only a software adapter is available');
  const device = await requestTinyMathDevice(adapter);
  const cases: ParityCase[] = [];
  /** Generators checked so far, by kernel shape: a revision model of that shape shares them. */
  const generators = new Map<string, { name: string; backend: WebGpuBackend }>();
  try {
    for (const folder of folders) {
      const url = new URL(folder.endsWith('/') ? folder : `${folder}/`, location.href);
      const name = url.pathname.split('/').filter(Boolean).pop()!;
      const model: TinyMathExport = await fetchExport(new URL('../', url), name, undefined, null);
      const goldenResponse = await fetch(new URL('golden.json', url));
      if (!goldenResponse.ok) throw new Error(`${name}/golden.json: HTTP ${goldenResponse.status}`);
      const golden = (await goldenResponse.json()) as Golden;
      // The decode the runtime would use on this adapter (TinyMathRuntime.create).
      const base =
        model.config.role === 'revision' ? generators.get(kernelShapeKey(model.config)) : undefined;
      const backend = base
        ? await WebGpuBackend.sharing(base.backend, model.config, model.weights)
        : await WebGpuBackend.create(
            device,
            model.config,
            model.weights,
            preferredDecode(model.config, software),
          );
      const chosen = golden.inputs.slice(0, inputs);
      const revisionInput = golden.inputs.find((i) => isRevisionPrompt([...i.text]));
      if (model.config.role === 'revision' && revisionInput && !chosen.includes(revisionInput))
        chosen.push(revisionInput);
      let worst = 0;
      let positions = 0;
      for (const input of chosen) {
        worst = Math.max(
          worst,
          await goldenMaxDiff(backend, input.ids, input.positions, input.logits.flat()),
        );
        positions += input.ids.length;
      }
      if (model.config.role === 'generator')
        generators.set(kernelShapeKey(model.config), { name, backend });
      else backend.dispose();
      const tolerance = Math.min(1e-3, golden.tolerance);
      cases.push({
        name: `${name} vs golden.json${base ? ` (on ${base.name}'s kernels)` : ''}`,
        maxAbsDiff: worst,
        tolerance,
        ok: worst <= tolerance,
        positions,
      });
    }
    // Always: a synthetic model with large weights, WebGPU against the CPU path, with the fused
    // decode and with the layered one (what the runtime uses for a generator on a real GPU).
    const synthetic = parseExport(
      syntheticExport({ nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 48, scale: 0.6 }, 3),
    );
    const ids = synthetic.tokenizer.encode('Q:37,+45,*2\n37+45=82\n82*2=164\nA:164\n');
    const reference = await (
      await new CpuBackend(synthetic.config, synthetic.weights).createBatch(1, ids.length)
    ).prefill([0], [ids]);
    const decodes = [
      { decode: 'fused' as const, workgroup: WORKGROUP },
      preferredDecode(synthetic.config, false),
    ];
    for (const options of decodes) {
      const label = `synthetic model, ${options.decode} decode at ${options.workgroup} threads`;
      const backend = await WebGpuBackend.create(
        device,
        synthetic.config,
        synthetic.weights,
        options,
      );
      const worst = await goldenMaxDiff(
        backend,
        ids,
        ids.map((_, i) => i),
        reference,
      );
      cases.push({
        name: `${label}, vs the CPU path`,
        maxAbsDiff: worst,
        tolerance: 1e-3,
        ok: worst <= 1e-3,
        positions: ids.length,
      });
      // Sampling in the kernel (decodeSampled) against sampling the same logits on the host:
      // the same completions, logprobs within 1e-4.
      const request = {
        prompts: ['Q:5,+3\n', 'Q:12,*3\n', 'Q:5,+3\n', 'Q:90,-4\n'],
        maxTokens: 24,
        temperature: 1,
        topP: 0.9,
        seed: 5,
        stop: ['\n'],
        logprobs: true,
      };
      const onDevice = await new TinyMathModel(synthetic, fixedSource(backend)).generate(request);
      const onHost = await new TinyMathModel(synthetic, fixedSource(hostSampled(backend))).generate(
        request,
      );
      backend.dispose();
      let sampledDiff = 0;
      let same = true;
      let sampled = 0;
      onDevice.forEach((c, i) => {
        const h = onHost[i]!;
        same &&= c.text === h.text && c.finishReason === h.finishReason;
        c.tokenLogprobs?.forEach((lp, k) => {
          sampledDiff = Math.max(sampledDiff, Math.abs(lp - (h.tokenLogprobs?.[k] ?? Infinity)));
        });
        sampled += c.completionTokens;
      });
      cases.push({
        name: `${label}, sampled in the kernel vs on the host (${same ? 'same' : 'DIFFERENT'} completions; logprobs)`,
        maxAbsDiff: same ? sampledDiff : Infinity,
        tolerance: 1e-4,
        ok: same && sampledDiff <= 1e-4,
        positions: sampled,
      });
    }
  } finally {
    for (const g of generators.values()) g.backend.dispose();
    device.destroy();
  }
  const info = adapter.info;
  return {
    done: true,
    ok: cases.every((c) => c.ok),
    adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
    software,
    cases,
    error: null,
  };
}

const out = document.getElementById('result');
run()
  .catch((e: unknown): ParityReport => ({
    done: true,
    ok: false,
    adapter: '',
    software: false,
    cases: [],
    error: e instanceof Error ? e.message : String(e),
  }))
  .then((report) => {
    window.__tinymathParity = report;
    if (out) {
      out.textContent = [
        report.ok ? 'PASS' : 'FAIL',
        `adapter: ${report.adapter}${report.software ? ' (software)' : ''}`,
        ...report.cases.map(
          (c) =>
            `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: max |diff| ${c.maxAbsDiff.toExponential(2)} (tolerance ${c.tolerance})`,
        ),
        report.error ? `error: ${report.error}` : '',
      ].join('\n');
    }
  });
