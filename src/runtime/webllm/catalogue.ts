/**
 * The WebLLM models the picker offers for math, and custom self-hosted models.
 *
 * This is a static copy of the few `prebuiltAppConfig` records we use (web-llm 0.2.86), so the
 * picker can show sizes and memory without loading the 6.8 MB library; catalogue.test.ts checks
 * every field against the installed library's records, so an upgrade that changes them fails.
 */
import type { ModelRecord } from '@mlc-ai/web-llm';
import { isChatTemplateId, type ChatTemplateId } from './templates';

/** The model-library folder of web-llm 0.2.86's prebuilt records. */
export const MODEL_LIB_PREFIX =
  'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/';

export type Quantization = 'q4f16_1' | 'q4f32_1';

export interface WebLLMVariant {
  /** WebLLM's model_id, e.g. "Qwen2.5-0.5B-Instruct-q4f16_1-MLC". */
  modelId: string;
  quantization: Quantization;
  /** Where the weights live (the record's `model`). */
  modelUrl: string;
  /** The compiled model library (the record's `model_lib`). */
  modelLibUrl: string;
  /** GPU memory WebLLM says the model needs (the record's vram_required_MB). */
  vramMB: number;
  /** The record's required_features (only some f16 records declare shader-f16). */
  requiredFeatures: readonly string[];
}

export interface WebLLMFamily {
  /** Stable key for links and settings. */
  key: string;
  label: string;
  /** One line on why it is in the list. */
  note: string;
  template: ChatTemplateId;
  parameterCount: number;
  contextWindow: number;
  f16: WebLLMVariant;
  f32: WebLLMVariant;
}

function variant(
  modelId: string,
  quantization: Quantization,
  libFile: string,
  vramMB: number,
  requiredFeatures: readonly string[] = [],
): WebLLMVariant {
  return {
    modelId,
    quantization,
    modelUrl: `https://huggingface.co/mlc-ai/${modelId}`,
    modelLibUrl: `${MODEL_LIB_PREFIX}${libFile}`,
    vramMB,
    requiredFeatures,
  };
}

export const WEBLLM_CATALOGUE: readonly WebLLMFamily[] = [
  {
    key: 'qwen2.5-math-1.5b',
    label: 'Qwen2.5-Math 1.5B Instruct',
    note: 'Trained for math with step-by-step answers in \\boxed{}; the strongest here.',
    template: 'qwen2.5-math',
    parameterCount: 1.54e9,
    contextWindow: 4096,
    f16: variant(
      'Qwen2.5-Math-1.5B-Instruct-q4f16_1-MLC',
      'q4f16_1',
      'Qwen2-1.5B-Instruct-q4f16_1_cs1k-webgpu.wasm',
      1629.75,
    ),
    f32: variant(
      'Qwen2.5-Math-1.5B-Instruct-q4f32_1-MLC',
      'q4f32_1',
      'Qwen2-1.5B-Instruct-q4f32_1_cs1k-webgpu.wasm',
      1888.97,
    ),
  },
  {
    key: 'qwen2.5-0.5b',
    label: 'Qwen2.5 0.5B Instruct',
    note: 'Small and quick; often wrong, so search and verifiers have room to help.',
    template: 'qwen2.5',
    parameterCount: 0.494e9,
    contextWindow: 4096,
    f16: variant(
      'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
      'q4f16_1',
      'Qwen2-0.5B-Instruct-q4f16_1_cs1k-webgpu.wasm',
      944.62,
    ),
    f32: variant(
      'Qwen2.5-0.5B-Instruct-q4f32_1-MLC',
      'q4f32_1',
      'Qwen2-0.5B-Instruct-q4f32_1_cs1k-webgpu.wasm',
      1060.2,
    ),
  },
  {
    key: 'llama-3.2-1b',
    label: 'Llama 3.2 1B Instruct',
    note: 'A general chat model of another family, for comparison.',
    template: 'llama3',
    parameterCount: 1.236e9,
    contextWindow: 4096,
    f16: variant(
      'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      'q4f16_1',
      'Llama-3.2-1B-Instruct-q4f16_1_cs1k-webgpu.wasm',
      879.04,
    ),
    f32: variant(
      'Llama-3.2-1B-Instruct-q4f32_1-MLC',
      'q4f32_1',
      'Llama-3.2-1B-Instruct-q4f32_1_cs1k-webgpu.wasm',
      1128.82,
    ),
  },
  {
    key: 'smollm2-360m',
    label: 'SmolLM2 360M Instruct',
    note: 'The smallest download; weak at math.',
    template: 'smollm2',
    parameterCount: 0.362e9,
    contextWindow: 4096,
    f16: variant(
      'SmolLM2-360M-Instruct-q4f16_1-MLC',
      'q4f16_1',
      'SmolLM2-360M-Instruct-q4f16_1_cs1k-webgpu.wasm',
      376.06,
      ['shader-f16'],
    ),
    f32: variant(
      'SmolLM2-360M-Instruct-q4f32_1-MLC',
      'q4f32_1',
      'SmolLM2-360M-Instruct-q4f32_1_cs1k-webgpu.wasm',
      579.61,
    ),
  },
  {
    key: 'qwen3-0.6b',
    label: 'Qwen3 0.6B (thinking off)',
    note: 'A newer small Qwen, run without its thinking mode so steps stay visible.',
    template: 'qwen3',
    parameterCount: 0.596e9,
    contextWindow: 4096,
    f16: variant(
      'Qwen3-0.6B-q4f16_1-MLC',
      'q4f16_1',
      'Qwen3-0.6B-q4f16_1_cs1k-webgpu.wasm',
      1403.34,
    ),
    f32: variant(
      'Qwen3-0.6B-q4f32_1-MLC',
      'q4f32_1',
      'Qwen3-0.6B-q4f32_1_cs1k-webgpu.wasm',
      1924.98,
    ),
  },
];

/** The family with this key, or null. */
export function catalogueFamily(key: string): WebLLMFamily | null {
  return WEBLLM_CATALOGUE.find((f) => f.key === key) ?? null;
}

/**
 * Whether a model needs the `shader-f16` WebGPU feature. Decided by the declared features AND
 * by the quantisation in the id or URL (`q4f16_1`, `q0f16`): the Qwen and Llama f16 records do
 * not declare the feature although their kernels use f16.
 */
export function requiresShaderF16(
  modelIdOrUrl: string,
  requiredFeatures: readonly string[] = [],
): boolean {
  return requiredFeatures.includes('shader-f16') || /q\d+f16/i.test(modelIdOrUrl);
}

export interface VariantChoice {
  variant: WebLLMVariant;
  /** True when the f32 variant was chosen because the adapter lacks shader-f16. */
  fellBackToF32: boolean;
  /** Why, for the user; null when the preferred variant runs. */
  reason: string | null;
}

/**
 * Pick the variant the adapter can run: q4f16_1 (smaller, faster) when it has `shader-f16`,
 * otherwise q4f32_1.
 * @param family A catalogue family.
 * @param adapter What the WebGPU adapter supports (from probeWebGPU).
 */
export function chooseVariant(
  family: WebLLMFamily,
  adapter: { shaderF16: boolean },
): VariantChoice {
  const preferred = family.f16;
  if (!requiresShaderF16(preferred.modelId, preferred.requiredFeatures) || adapter.shaderF16) {
    return { variant: preferred, fellBackToF32: false, reason: null };
  }
  return {
    variant: family.f32,
    fellBackToF32: true,
    reason:
      'This GPU has no shader-f16 support, so the q4f32_1 build is used (larger, a bit slower).',
  };
}

/** Bits per weight of MLC's group quantisation (4-bit weights plus one scale per 32). */
const BITS_PER_WEIGHT: Record<string, number> = { q4f16_1: 4.5, q4f32_1: 5, q0f16: 16, q0f32: 32 };

/**
 * Approximate download in MB: weights at the quantisation's bits per parameter, plus a few MB
 * of model library and tokenizer. The exact size is only known from the weights' manifest.
 */
export function estimateDownloadMB(parameterCount: number, quantization: string): number {
  const bits = BITS_PER_WEIGHT[quantization] ?? 16;
  return Math.round((parameterCount * bits) / 8 / 1e6 + 6);
}

/** What the picker needs to load and describe a model (prebuilt or custom). */
export interface WebLLMModelSpec {
  modelId: string;
  label: string;
  template: ChatTemplateId;
  parameterCount: number;
  contextWindow: number;
  modelUrl: string;
  modelLibUrl: string;
  needsShaderF16: boolean;
  vramMB: number | null;
  /** A record to add to WebLLM's app config; absent for prebuilt models (already listed). */
  customRecord?: ModelRecord;
}

/** A catalogue variant as a loadable spec. */
export function specFromCatalogue(family: WebLLMFamily, v: WebLLMVariant): WebLLMModelSpec {
  return {
    modelId: v.modelId,
    label: `${family.label} (${v.quantization})`,
    template: family.template,
    parameterCount: family.parameterCount,
    contextWindow: family.contextWindow,
    modelUrl: v.modelUrl,
    modelLibUrl: v.modelLibUrl,
    needsShaderF16: requiresShaderF16(v.modelId, v.requiredFeatures),
    vramMB: v.vramMB,
  };
}

/** The custom-model form, as typed. */
export interface CustomModelInput {
  /** URL of the MLC weights folder (with mlc-chat-config.json and tensor-cache.json). */
  modelUrl: string;
  /** URL of the compiled model library (.wasm). */
  modelLibUrl: string;
  template: string;
  /** Parameters in billions, for FLOP estimates. */
  parameterBillions: string | number;
  contextWindow?: string | number;
}

export type CustomModelField =
  'modelUrl' | 'modelLibUrl' | 'template' | 'parameterBillions' | 'contextWindow';

export type CustomModelValidation =
  | { ok: true; spec: WebLLMModelSpec }
  | { ok: false; errors: Partial<Record<CustomModelField, string>> };

function absoluteHttpUrl(text: string): URL | null {
  try {
    // No base URL: a relative URL throws, which is the point (WebLLM resolves relative model
    // URLs against the page, which breaks as soon as the app is served from elsewhere).
    const url = new URL(text.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Check the custom-model form and build a loadable spec with its WebLLM record.
 * @returns The spec, or one message per invalid field.
 */
export function validateCustomModel(input: CustomModelInput): CustomModelValidation {
  const errors: Partial<Record<CustomModelField, string>> = {};
  const modelUrl = absoluteHttpUrl(input.modelUrl);
  if (!modelUrl) {
    errors.modelUrl =
      'Enter an absolute http(s) URL of the MLC weights, e.g. https://huggingface.co/me/MyModel-q4f32_1-MLC';
  }
  const libUrl = absoluteHttpUrl(input.modelLibUrl);
  if (!libUrl) errors.modelLibUrl = 'Enter an absolute http(s) URL of the model library.';
  else if (!libUrl.pathname.endsWith('.wasm'))
    errors.modelLibUrl = 'The model library is a .wasm file.';
  if (!isChatTemplateId(input.template))
    errors.template = 'Pick the chat template of the model family.';
  const billions = Number(input.parameterBillions);
  if (!Number.isFinite(billions) || billions <= 0 || billions > 100) {
    errors.parameterBillions = 'Enter the parameter count in billions (for example 0.5).';
  }
  const ctxText =
    input.contextWindow === undefined || input.contextWindow === '' ? '4096' : input.contextWindow;
  const contextWindow = Number(ctxText);
  if (!Number.isInteger(contextWindow) || contextWindow < 256 || contextWindow > 131072) {
    errors.contextWindow = 'The context window is a whole number of tokens between 256 and 131072.';
  }
  if (!modelUrl || !libUrl || Object.keys(errors).length > 0) return { ok: false, errors };

  const href = modelUrl.href.replace(/\/+$/, '');
  const name = href.split('/').pop() || modelUrl.host;
  const modelId = `custom:${name}`;
  const needsShaderF16 = requiresShaderF16(`${name} ${libUrl.pathname}`);
  const customRecord: ModelRecord = {
    model: href,
    model_id: modelId,
    model_lib: libUrl.href,
    overrides: { context_window_size: contextWindow },
    ...(needsShaderF16 ? { required_features: ['shader-f16'] } : {}),
  };
  return {
    ok: true,
    spec: {
      modelId,
      label: `${name} (custom)`,
      template: input.template as ChatTemplateId,
      parameterCount: billions * 1e9,
      contextWindow,
      modelUrl: href,
      modelLibUrl: libUrl.href,
      needsShaderF16,
      vramMB: null,
      customRecord,
    },
  };
}
