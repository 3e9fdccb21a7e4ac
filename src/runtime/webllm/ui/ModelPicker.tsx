import {
  useEffect,
  useId,
  useReducer,
  useRef,
  useState,
  type FormEvent,
  type ReactElement,
} from 'react';
import {
  WEBLLM_CATALOGUE,
  chooseVariant,
  estimateDownloadMB,
  validateCustomModel,
  type CustomModelField,
  type CustomModelInput,
  type WebLLMFamily,
  type WebLLMModelSpec,
} from '../catalogue';
import type { WebGPUSupport } from '../gpu';
import type { WebLLMModelInfo, WebLLMSpeedReport } from '../model';
import type { WebLLMSession } from '../session';
import { CHAT_TEMPLATES, type ChatTemplateId } from '../templates';
import { formatMegabytes, formatParameters } from './format';
import { useWebLLMSession } from './useWebLLMSession';
import { WebLLMErrorPanel } from './WebLLMErrorPanel';
import { SequentialCostNote, WebLLMSpeed } from './WebLLMSpeed';
import './webllm.css';

export interface WebLLMModelPickerProps {
  /** One session for the page's lifetime (creating it loads nothing). */
  session: WebLLMSession;
  /**
   * A model finished loading. Send `session.connectPort()` (transferred) and `info` to the
   * engine worker, which builds the generator and judge with createWebLLMModels.
   */
  onReady(info: WebLLMModelInfo): void;
  /** Switch the app back to TinyMath; the picker has already stopped WebLLM's worker. */
  onBackToTinyMath(): void;
  /** The run's budget N, to show what sequential generation costs. */
  samples?: number;
  /** The run's token cap per sample. */
  maxTokens?: number;
  /** The last speed report from the engine worker (WebLLMModel's onSpeed), for the live display. */
  speed?: WebLLMSpeedReport | null;
}

type LastAttempt =
  | { kind: 'family'; family: WebLLMFamily; forceF32: boolean }
  | { kind: 'custom'; spec: WebLLMModelSpec };

const EMPTY_CUSTOM: CustomModelInput = {
  modelUrl: '',
  modelLibUrl: '',
  template: 'qwen2.5',
  parameterBillions: '',
  contextWindow: '4096',
};

/**
 * The WebLLM model picker: the math models of the catalogue with download size, GPU memory,
 * the build that suits this GPU and whether it is cached; load with progress and Cancel;
 * Delete from cache; a custom self-hosted model; clear errors with a way back to TinyMath.
 */
export function WebLLMModelPicker(props: WebLLMModelPickerProps) {
  const { session } = props;
  const state = useWebLLMSession(session);
  const headingId = useId();
  const [support, setSupport] = useState<WebGPUSupport | null>(null);
  const [cached, setCached] = useState<Record<string, boolean>>({});
  const [cacheEpoch, recheckCache] = useReducer((x: number) => x + 1, 0);
  const [last, setLast] = useState<LastAttempt | null>(null);
  const onReady = useRef(props.onReady);
  useEffect(() => {
    onReady.current = props.onReady;
  });

  useEffect(() => {
    let live = true;
    void session.probe().then((s) => {
      if (live) setSupport(s);
    });
    return () => {
      live = false;
    };
  }, [session]);

  const readyId = state.status === 'ready' ? state.info.modelId : null;
  useEffect(() => {
    const s = session.getState();
    if (s.status === 'ready') onReady.current(s.info);
  }, [session, readyId]);

  // Cache status of the build each model would load; re-checked after loads and deletes.
  const settled = state.status === 'ready' || state.status === 'error' || state.status === 'idle';
  useEffect(() => {
    if (!settled) return;
    let live = true;
    const shaderF16 = support?.shaderF16 ?? false;
    void Promise.all(
      WEBLLM_CATALOGUE.map(async (f) => {
        const v = chooseVariant(f, { shaderF16 }).variant;
        return [v.modelId, await session.isCached(v.modelUrl)] as const;
      }),
    ).then((entries) => {
      if (live) setCached(Object.fromEntries(entries));
    });
    return () => {
      live = false;
    };
  }, [session, support, settled, cacheEpoch]);

  const loadFamily = (family: WebLLMFamily, forceF32 = false) => {
    setLast({ kind: 'family', family, forceF32 });
    void session.loadFamily(family, forceF32);
  };
  const loadCustom = (spec: WebLLMModelSpec) => {
    setLast({ kind: 'custom', spec });
    void session.loadCustom(spec);
  };
  const retry = () => {
    if (last?.kind === 'family') loadFamily(last.family, last.forceF32);
    else if (last?.kind === 'custom') loadCustom(last.spec);
  };
  const lastFamily = last?.kind === 'family' ? last.family : null;
  const backToTinyMath = () => {
    session.backToTinyMath();
    props.onBackToTinyMath();
  };
  const busy = state.status === 'loading';
  // The status (progress, error, loaded) sits above the list, while the button that started it
  // may be far below in a scrolled panel: bring it into view whenever the status changes.
  const statusRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (state.status !== 'idle') statusRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [state.status]);

  return (
    <section className="webllm-picker" aria-labelledby={headingId} data-testid="webllm-picker">
      <h2 id={headingId} className="panel-title">
        Real models (WebLLM)
      </h2>
      <p className="muted">
        Pretrained chat models on your GPU, through WebLLM. The first load downloads the model;
        later loads come from the browser cache.
      </p>
      <GpuLine support={support} />

      <div ref={statusRef} className="webllm-status">
        {state.status === 'error' ? (
          <WebLLMErrorPanel
            error={state.error}
            modelLabel={state.spec?.label ?? null}
            onBackToTinyMath={backToTinyMath}
            onRetry={last ? retry : undefined}
            onUseF32={lastFamily ? () => loadFamily(lastFamily, true) : undefined}
          />
        ) : null}

        {state.status === 'loading' ? (
          <div className="webllm-loading" data-testid="webllm-loading">
            <div>
              Loading <strong>{state.spec.label}</strong>
            </div>
            <progress aria-label="WebLLM download progress" max={1} value={state.progress} />
            <div className="muted webllm-progress-text">{state.text}</div>
            {state.note ? <div className="muted">{state.note}</div> : null}
            <button type="button" onClick={() => session.cancel()}>
              Cancel download
            </button>
          </div>
        ) : null}

        {state.status === 'ready' ? (
          <div className="webllm-ready" data-testid="webllm-ready" role="status">
            <div>
              Loaded: <strong>{state.spec.label}</strong>
            </div>
            {state.note ? <div className="muted">{state.note}</div> : null}
            <WebLLMSpeed speed={props.speed ?? null} />
            {props.samples !== undefined ? (
              <SequentialCostNote
                samples={props.samples}
                speed={props.speed ?? null}
                tokensPerSample={props.maxTokens ?? 256}
              />
            ) : null}
            <button type="button" onClick={backToTinyMath}>
              Back to TinyMath
            </button>
          </div>
        ) : null}
      </div>

      <ul className="webllm-models">
        {WEBLLM_CATALOGUE.map((family) => {
          const choice = chooseVariant(family, { shaderF16: support?.shaderF16 ?? false });
          const v = choice.variant;
          const inCache = cached[v.modelId] === true;
          return (
            <li key={family.key} className="webllm-model">
              <div className="webllm-model-name">{family.label}</div>
              <div className="muted">{family.note}</div>
              <div className="webllm-facts">
                {formatParameters(family.parameterCount)} parameters · about{' '}
                {formatMegabytes(estimateDownloadMB(family.parameterCount, v.quantization))}{' '}
                download · {formatMegabytes(v.vramMB)} GPU memory · {v.quantization}
                {choice.fellBackToF32 ? ' (no shader-f16)' : ''} ·{' '}
                <span data-testid={`cache-${family.key}`}>
                  {inCache ? 'in cache' : 'not downloaded'}
                </span>
              </div>
              <div className="row webllm-actions">
                <button
                  type="button"
                  aria-label={`Load ${family.label}`}
                  disabled={busy}
                  onClick={() => loadFamily(family)}
                >
                  {inCache ? 'Load from cache' : 'Download and load'}
                </button>
                {inCache ? (
                  <button
                    type="button"
                    aria-label={`Delete ${family.label} from cache`}
                    disabled={busy}
                    onClick={() => {
                      const s = session.getState();
                      // Deleting the loaded model stops WebLLM: the app must go back to TinyMath.
                      const active = s.status === 'ready' && s.spec.modelId === v.modelId;
                      void session.deleteFromCache(v).then(recheckCache, recheckCache);
                      if (active) props.onBackToTinyMath();
                    }}
                  >
                    Delete from cache
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>

      <CustomModelForm disabled={busy} onLoad={loadCustom} />
    </section>
  );
}

function GpuLine({ support }: { support: WebGPUSupport | null }) {
  if (!support) return <p className="muted">Checking WebGPU…</p>;
  if (!support.available) {
    return (
      <p className="webllm-gpu-warning" data-testid="webllm-gpu">
        No WebGPU here ({support.reason}). WebLLM models cannot run in this browser; TinyMath can.
      </p>
    );
  }
  return (
    <p className="muted" data-testid="webllm-gpu">
      WebGPU: available
      {support.shaderF16
        ? ', with shader-f16 (q4f16_1 builds)'
        : ', without shader-f16 (q4f32_1 builds are used)'}
      {support.fallbackAdapter ? '. This is a software adapter: models will be very slow.' : '.'}
    </p>
  );
}

const FIELD_LABELS: Record<CustomModelField, string> = {
  modelUrl: 'Model weights URL',
  modelLibUrl: 'Model library URL (.wasm)',
  template: 'Chat template',
  parameterBillions: 'Parameters (billions)',
  contextWindow: 'Context window (tokens)',
};

function CustomModelForm(props: { disabled: boolean; onLoad(spec: WebLLMModelSpec): void }) {
  const id = useId();
  const [input, setInput] = useState<CustomModelInput>(EMPTY_CUSTOM);
  const [errors, setErrors] = useState<Partial<Record<CustomModelField, string>>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validateCustomModel(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    props.onLoad(result.spec);
  };
  const field = (
    name: CustomModelField,
    control: (controlId: string, describedBy: string | undefined) => ReactElement,
  ) => {
    const controlId = `${id}-${name}`;
    const errorId = errors[name] ? `${controlId}-error` : undefined;
    return (
      <div className="field">
        <label htmlFor={controlId}>{FIELD_LABELS[name]}</label>
        {control(controlId, errorId)}
        {errors[name] ? (
          <div className="error-text" id={errorId}>
            {errors[name]}
          </div>
        ) : null}
      </div>
    );
  };
  const text = (
    name: 'modelUrl' | 'modelLibUrl' | 'parameterBillions' | 'contextWindow',
    placeholder: string,
  ) =>
    field(name, (controlId, describedBy) => (
      <input
        id={controlId}
        type="text"
        inputMode={name === 'parameterBillions' || name === 'contextWindow' ? 'decimal' : 'url'}
        placeholder={placeholder}
        value={String(input[name] ?? '')}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => setInput({ ...input, [name]: e.target.value })}
      />
    ));
  return (
    <details className="webllm-custom">
      <summary>Custom model (self-hosted MLC weights)</summary>
      <form onSubmit={submit} noValidate>
        <p className="muted">
          Absolute URLs of MLC-compiled weights and their WebGPU model library. WebLLM reads the
          weights from &lt;URL&gt;/resolve/main/ unless the URL already names a revision
          (…/resolve/&lt;rev&gt;/).
        </p>
        {text('modelUrl', 'https://huggingface.co/you/MyModel-q4f32_1-MLC')}
        {text('modelLibUrl', 'https://example.org/MyModel-q4f32_1-webgpu.wasm')}
        {field('template', (controlId, describedBy) => (
          <select
            id={controlId}
            value={input.template}
            aria-describedby={describedBy}
            onChange={(e) => setInput({ ...input, template: e.target.value })}
          >
            {(Object.keys(CHAT_TEMPLATES) as ChatTemplateId[]).map((t) => (
              <option key={t} value={t}>
                {CHAT_TEMPLATES[t].label}
              </option>
            ))}
          </select>
        ))}
        {text('parameterBillions', '0.5')}
        {text('contextWindow', '4096')}
        <button type="submit" disabled={props.disabled}>
          Load custom model
        </button>
      </form>
    </details>
  );
}
