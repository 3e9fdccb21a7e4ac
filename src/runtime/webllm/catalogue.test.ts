import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import {
  WEBLLM_CATALOGUE,
  chooseVariant,
  estimateDownloadMB,
  requiresShaderF16,
  specFromCatalogue,
  validateCustomModel,
} from './catalogue';

describe('the catalogue matches web-llm prebuiltAppConfig', () => {
  const records = new Map(prebuiltAppConfig.model_list.map((r) => [r.model_id, r]));

  it.each(WEBLLM_CATALOGUE.flatMap((f) => [f.f16, f.f32]))('$modelId', (v) => {
    const record = records.get(v.modelId);
    expect(record, `${v.modelId} is not in prebuiltAppConfig`).toBeDefined();
    expect(v.modelUrl).toBe(record?.model);
    expect(v.modelLibUrl).toBe(record?.model_lib);
    expect(v.vramMB).toBe(record?.vram_required_MB);
    expect([...v.requiredFeatures]).toEqual(record?.required_features ?? []);
  });

  it('lists the five math models of the issue with their context windows', () => {
    expect(WEBLLM_CATALOGUE.map((f) => f.f16.modelId.replace(/-q4f16_1-MLC$/, ''))).toEqual([
      'Qwen2.5-Math-1.5B-Instruct',
      'Qwen2.5-0.5B-Instruct',
      'Llama-3.2-1B-Instruct',
      'SmolLM2-360M-Instruct',
      'Qwen3-0.6B',
    ]);
    for (const f of WEBLLM_CATALOGUE) {
      expect(records.get(f.f16.modelId)?.overrides?.context_window_size).toBe(f.contextWindow);
    }
  });
});

describe('shader-f16 and the f32 fallback', () => {
  const qwen = WEBLLM_CATALOGUE[0];
  const smol = WEBLLM_CATALOGUE.find((f) => f.key === 'smollm2-360m');
  if (!qwen || !smol) throw new Error('catalogue fixture missing');

  it('decides by the quantisation suffix when a record does not declare shader-f16', () => {
    // The Qwen f16 record declares no required_features, yet its kernels use f16.
    expect(qwen.f16.requiredFeatures).toEqual([]);
    expect(requiresShaderF16(qwen.f16.modelId, qwen.f16.requiredFeatures)).toBe(true);
    expect(requiresShaderF16(smol.f16.modelId, smol.f16.requiredFeatures)).toBe(true);
    expect(requiresShaderF16(qwen.f32.modelId, qwen.f32.requiredFeatures)).toBe(false);
    expect(requiresShaderF16('Qwen3-0.6B-q0f16-MLC')).toBe(true);
    expect(requiresShaderF16('Qwen3-0.6B-q0f32-MLC')).toBe(false);
  });

  it('picks q4f32_1 on an adapter without shader-f16, for undeclared and declared records', () => {
    for (const family of [qwen, smol]) {
      const choice = chooseVariant(family, { shaderF16: false });
      expect(choice.variant.quantization).toBe('q4f32_1');
      expect(choice.fellBackToF32).toBe(true);
      expect(choice.reason).toMatch(/shader-f16/);
    }
  });

  it('picks q4f16_1 when the adapter has shader-f16', () => {
    const choice = chooseVariant(qwen, { shaderF16: true });
    expect(choice.variant.modelId).toBe('Qwen2.5-Math-1.5B-Instruct-q4f16_1-MLC');
    expect(choice.fellBackToF32).toBe(false);
    expect(choice.reason).toBeNull();
  });

  it('makes a loadable spec that says whether it needs shader-f16', () => {
    expect(specFromCatalogue(qwen, qwen.f16)).toMatchObject({
      modelId: 'Qwen2.5-Math-1.5B-Instruct-q4f16_1-MLC',
      template: 'qwen2.5-math',
      needsShaderF16: true,
      vramMB: 1629.75,
    });
    expect(specFromCatalogue(qwen, qwen.f32).needsShaderF16).toBe(false);
  });
});

describe('estimateDownloadMB', () => {
  it('grows with parameters and bits per weight', () => {
    expect(estimateDownloadMB(0.494e9, 'q4f16_1')).toBe(284);
    expect(estimateDownloadMB(0.494e9, 'q4f32_1')).toBeGreaterThan(
      estimateDownloadMB(0.494e9, 'q4f16_1'),
    );
    expect(estimateDownloadMB(1.54e9, 'q4f16_1')).toBeGreaterThan(
      estimateDownloadMB(0.494e9, 'q4f16_1'),
    );
  });
});

describe('validateCustomModel', () => {
  const good = {
    modelUrl: 'https://models.example.org/mlc/MyMath-1B-q4f32_1-MLC/',
    modelLibUrl: 'https://models.example.org/libs/MyMath-1B-q4f32_1-webgpu.wasm',
    template: 'qwen2.5',
    parameterBillions: '1.2',
    contextWindow: '2048',
  };

  it('accepts absolute URLs and builds the WebLLM record', () => {
    const r = validateCustomModel(good);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.spec).toMatchObject({
      modelId: 'custom:MyMath-1B-q4f32_1-MLC',
      parameterCount: 1.2e9,
      contextWindow: 2048,
      needsShaderF16: false,
      template: 'qwen2.5',
    });
    expect(r.spec.customRecord).toEqual({
      model: 'https://models.example.org/mlc/MyMath-1B-q4f32_1-MLC',
      model_id: 'custom:MyMath-1B-q4f32_1-MLC',
      model_lib: 'https://models.example.org/libs/MyMath-1B-q4f32_1-webgpu.wasm',
      overrides: { context_window_size: 2048 },
    });
  });

  it('marks an f16 build as needing shader-f16 by its name', () => {
    const r = validateCustomModel({ ...good, modelUrl: 'https://h.example/MyMath-1B-q4f16_1-MLC' });
    expect(r.ok && r.spec.needsShaderF16).toBe(true);
    expect(r.ok && r.spec.customRecord?.required_features).toEqual(['shader-f16']);
  });

  it.each([
    [{ modelUrl: '/models/MyMath' }, 'modelUrl'],
    [{ modelUrl: 'models.example.org/MyMath' }, 'modelUrl'],
    [{ modelUrl: 'ftp://models.example.org/MyMath' }, 'modelUrl'],
    [{ modelLibUrl: 'lib.wasm' }, 'modelLibUrl'],
    [{ modelLibUrl: 'https://models.example.org/lib.js' }, 'modelLibUrl'],
    [{ template: 'mistral' }, 'template'],
    [{ parameterBillions: '' }, 'parameterBillions'],
    [{ parameterBillions: '-1' }, 'parameterBillions'],
    [{ contextWindow: '12.5' }, 'contextWindow'],
  ] as const)('rejects %j in field %s', (change, field) => {
    const r = validateCustomModel({ ...good, ...change });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors)).toEqual([field]);
  });
});
