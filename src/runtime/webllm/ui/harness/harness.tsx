/**
 * A stand-alone page for the WebLLM picker, for manual checks against a real model before the
 * app mounts it, and for the bundle check (web-llm must land only in the worker's chunks).
 *   dev:   npx vite --config src/runtime/webllm/ui/harness/vite.config.ts
 *   build: npx vite build --config src/runtime/webllm/ui/harness/vite.config.ts
 * Load a model, then "Run best-of-2 on a GSM8K problem" runs the real engine on the main
 * thread with WebLLMModel and WebLLMJudge over the worker port.
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { runToCompletion, type RunResult } from '../../../../engine/run';
import { gsm8kTask } from '../../../../tasks/gsm8k';
import { createWebLLMModels } from '../../engineSide';
import type { WebLLMModelInfo, WebLLMSpeedReport } from '../../model';
import { WebLLMSession } from '../../session';
import { WebLLMModelPicker } from '../ModelPicker';

const session = new WebLLMSession();

function Harness() {
  const [info, setInfo] = useState<WebLLMModelInfo | null>(null);
  const [speed, setSpeed] = useState<WebLLMSpeedReport | null>(null);
  const [result, setResult] = useState<RunResult | null>(null);
  const [status, setStatus] = useState('TinyMath (stand-in): idle');

  const run = async () => {
    if (!info) return;
    setStatus('running…');
    const models = createWebLLMModels(session.connectPort(), info, setSpeed);
    try {
      await gsm8kTask.load({ baseUrl: new URL('/', window.location.href).href });
      const problem = gsm8kTask.problemsAt(1)[0];
      if (!problem) throw new Error('no GSM8K problem');
      setResult(
        await runToCompletion({
          task: gsm8kTask,
          problem,
          model: models.generator,
          verifier: models.prm,
          config: {
            kind: 'best-of-n',
            n: 2,
            selection: 'weighted',
            temperature: 0.7,
            topP: 1,
            aggregation: 'last',
            maxTokens: 384,
          },
          seed: 1,
        }),
      );
      setStatus('done');
    } catch (e) {
      setStatus(`failed: ${String(e)}`);
    } finally {
      models.dispose();
    }
  };

  return (
    <main style={{ maxWidth: 720, margin: '1em auto', fontFamily: 'system-ui' }}>
      <h1>WebLLM picker harness</h1>
      <p data-testid="harness-status">{status}</p>
      <WebLLMModelPicker
        session={session}
        onReady={(i) => setInfo(i)}
        onBackToTinyMath={() => {
          setInfo(null);
          setStatus('TinyMath (stand-in): back');
        }}
        samples={2}
        maxTokens={384}
        speed={speed}
      />
      {info ? (
        <button type="button" onClick={() => void run()}>
          Run best-of-2 on a GSM8K problem
        </button>
      ) : null}
      {result ? (
        <pre style={{ whiteSpace: 'pre-wrap' }}>
          {`answer ${result.answer} (${result.correct ? 'correct' : 'wrong'}), status ${result.status}\n`}
          {JSON.stringify(result.costs)}
          {'\n\n'}
          {result.events
            .flatMap((e) =>
              e.type === 'text_appended' && e.id !== 'root' ? [`[${e.id}] ${e.text}`] : [],
            )
            .join('\n---\n')}
        </pre>
      ) : null}
    </main>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Harness />
    </StrictMode>,
  );
}
