import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { WEBLLM_CATALOGUE } from '../catalogue';
import { classifyWebLLMError } from '../errors';
import { WebLLMSession } from '../session';
import { formatMegabytes, formatParameters, formatSeconds } from './format';
import { WebLLMModelPicker } from './ModelPicker';
import { WebLLMErrorPanel } from './WebLLMErrorPanel';
import { SequentialCostNote, WebLLMSpeed } from './WebLLMSpeed';

const noop = () => undefined;
const SPEED = {
  modelId: 'm',
  role: 'generator' as const,
  promptTokens: 200,
  completionTokens: 100,
  prefillTokensPerS: 400,
  decodeTokensPerS: 20,
  timeToFirstTokenS: 0.5,
  e2eLatencyS: 5.5,
};

describe('WebLLMModelPicker (static render)', () => {
  const session = new WebLLMSession({
    probe: () => new Promise(noop),
    createWorker: () => {
      throw new Error('a render must not start the worker');
    },
  });
  const html = renderToStaticMarkup(
    createElement(WebLLMModelPicker, { session, onReady: noop, onBackToTinyMath: noop }),
  );

  it('lists every catalogue model with a Load button named after it, size and GPU memory', () => {
    for (const family of WEBLLM_CATALOGUE) {
      expect(html).toContain(`aria-label="Load ${family.label}"`);
    }
    expect(html).toContain('1.5B parameters');
    expect(html).toMatch(/about \d+ MB download/);
    expect(html).toMatch(/GPU memory/);
    expect(html).toContain('not downloaded');
  });

  it('offers the custom-model form and names the section', () => {
    expect(html).toContain('Real models (WebLLM)');
    expect(html).toContain('Model weights URL');
    expect(html).toContain('Model library URL (.wasm)');
    expect(html).toContain('Load custom model');
  });
});

describe('WebLLMErrorPanel', () => {
  it('shows the classified error as an alert with a way back to TinyMath', () => {
    const html = renderToStaticMarkup(
      createElement(WebLLMErrorPanel, {
        error: classifyWebLLMError('TypeError: Failed to fetch'),
        modelLabel: 'SmolLM2 360M Instruct (q4f32_1)',
        onBackToTinyMath: noop,
        onRetry: noop,
        onUseF32: noop,
      }),
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('data-kind="network"');
    expect(html).toContain('The download failed');
    expect(html).toContain('Back to TinyMath');
    expect(html).toContain('Try again');
    // Only a missing shader-f16 suggests the f32 build.
    expect(html).not.toContain('Load the q4f32_1 build');
    expect(html).toContain('TypeError: Failed to fetch');
  });

  it('offers the f32 build for a missing shader-f16, and no retry', () => {
    const html = renderToStaticMarkup(
      createElement(WebLLMErrorPanel, {
        error: classifyWebLLMError(
          'ShaderF16SupportError: This model requires WebGPU extension shader-f16',
        ),
        onBackToTinyMath: noop,
        onRetry: noop,
        onUseF32: noop,
      }),
    );
    expect(html).toContain('Load the q4f32_1 build');
    expect(html).not.toContain('Try again');
  });
});

describe('speed and sequential cost', () => {
  it('shows prefill and decode speed', () => {
    expect(renderToStaticMarkup(createElement(WebLLMSpeed, { speed: SPEED }))).toContain(
      'prefill 400 tok/s · decode 20.0 tok/s',
    );
    expect(renderToStaticMarkup(createElement(WebLLMSpeed, { speed: null }))).toBe('');
  });

  it('states the N-fold cost of sequential samples, with seconds once a speed is known', () => {
    const html = renderToStaticMarkup(
      createElement(SequentialCostNote, {
        samples: 16,
        speed: SPEED,
        tokensPerSample: 100,
        promptTokens: 200,
      }),
    );
    expect(html).toContain('16 samples');
    expect(html).toContain('16× the time of one');
    expect(html).toContain('about 1 min 28 s');
    expect(
      renderToStaticMarkup(
        createElement(SequentialCostNote, { samples: 4, speed: null, tokensPerSample: 100 }),
      ),
    ).not.toContain('about');
  });
});

describe('format', () => {
  it('formats parameters, megabytes and seconds', () => {
    expect([formatParameters(1.54e9), formatParameters(0.362e9), formatParameters(12e9)]).toEqual([
      '1.5B',
      '362M',
      '12B',
    ]);
    expect([formatMegabytes(1629.75), formatMegabytes(376.06)]).toEqual(['1.6 GB', '376 MB']);
    expect([formatSeconds(0.2), formatSeconds(42.4), formatSeconds(183)]).toEqual([
      '1 s',
      '42 s',
      '3 min 3 s',
    ]);
  });
});
