import { describe, expect, it } from 'vitest';
import { exampleBeamTrace } from '../engine/trace/sample-trace';
import { serializeTrace } from '../engine/trace/io';
import { createAppStore } from '../store/appStore';
import { defaultSettings, settingsFromHash, settingsToHash } from '../store/settings';
import { AppController } from './controller';
import { controllerFakes } from './testing/controllerFakes';
import type { ToWorker } from './worker/protocol';

function started(initialHash = '') {
  const f = controllerFakes(initialHash);
  const store = createAppStore(settingsFromHash(initialHash));
  const controller = new AppController(store, f.engine, f.env);
  controller.start();
  return { ...f, store, controller };
}

const runs = (sent: ToWorker[]) => sent.filter((m) => m.type === 'start-run');

describe('AppController', () => {
  it('loads the models and starts the run the link describes, at once', () => {
    const hash = `#${settingsToHash({ ...defaultSettings(), strategy: 'dvts', n: 16, seed: 77 })}`;
    const { sent, hash: currentHash } = started(hash);
    expect(sent[0]).toMatchObject({ type: 'load-models', baseUrl: 'http://localhost/models/' });
    const [run] = runs(sent);
    expect(run?.type === 'start-run' && run.request.config).toMatchObject({ kind: 'dvts', n: 16 });
    expect(run?.type === 'start-run' && run.request.seed).toBe(77);
    expect(settingsFromHash(currentHash())).toEqual(settingsFromHash(hash));
  });

  it('restarts the run when a setting changes (debounced), not when only the speed changes', () => {
    const { sent, store, runTimers, hash } = started();
    store.getState().setSetting('speed', 8);
    runTimers();
    expect(runs(sent)).toHaveLength(1);
    expect(hash()).toContain('speed=8');
    store.getState().setSetting('n', 16);
    store.getState().setSetting('temperature', 0.5);
    expect(runs(sent)).toHaveLength(1);
    runTimers();
    expect(runs(sent)).toHaveLength(2);
    const last = runs(sent).at(-1);
    expect(last?.type === 'start-run' && last.request.config).toMatchObject({
      n: 16,
      temperature: 0.5,
    });
    // The previous run was still waiting, so it is cancelled first.
    expect(sent).toContainEqual({ type: 'cancel-run', runId: 'page-run-1' });
  });

  it('follows a pasted link (hashchange)', () => {
    const { sent, store, navigate, runTimers } = started();
    navigate(`#${settingsToHash({ ...defaultSettings(), strategy: 'best-of-n', seed: 5 })}`);
    expect(store.getState().settings.strategy).toBe('best-of-n');
    runTimers();
    expect(runs(sent)).toHaveLength(2);
  });

  it('feeds worker messages into the store', () => {
    const { store, emit } = started();
    emit({ type: 'models-progress', fraction: 0.25, message: 'gen' });
    expect(store.getState().model).toMatchObject({ status: 'loading', progress: 0.25 });
    emit({
      type: 'models-ready',
      backend: 'cpu',
      notice: 'No WebGPU',
      generatorLabel: 'g',
      prmLabel: 'p',
    });
    expect(store.getState().model).toMatchObject({
      status: 'ready',
      backend: 'cpu',
      notice: 'No WebGPU',
    });
    const events = exampleBeamTrace();
    emit({ type: 'run-events', runId: 'page-run-1', events });
    emit({ type: 'run-ended', runId: 'page-run-1', status: 'completed' });
    expect(store.getState().events).toEqual(events);
    expect(store.getState().runStatus).toBe('completed');
    emit({ type: 'worker-error', error: 'boom' });
    expect(store.getState().notices.at(-1)).toMatchObject({
      level: 'error',
      text: 'Engine error: boom',
    });
  });

  it('imports a trace file, and a malformed one leaves the current trace as it was', () => {
    const { store, emit, controller } = started();
    const live = exampleBeamTrace();
    emit({ type: 'run-events', runId: 'page-run-1', events: live });
    const before = store.getState().events;

    expect(controller.importTraceText('{"format": "something-else"}', 'other.json')).toBe(false);
    expect(controller.importTraceText('not json at all', 'x.json')).toBe(false);
    expect(store.getState().events).toBe(before);
    expect(store.getState().notices.filter((n) => n.level === 'error')).toHaveLength(2);
    expect(store.getState().notices[0]?.text).toMatch(/^Could not open "other.json": /);

    const text = controller.exportTraceText();
    expect(text).not.toBeNull();
    const other = exampleBeamTrace().map((e) =>
      e.type === 'run_started' ? { ...e, seed: 99 } : e,
    );
    expect(controller.importTraceText(serializeTrace(other), 'mine.json')).toBe(true);
    expect(store.getState().source).toEqual({ kind: 'file', name: 'mine.json' });
    expect(store.getState().events).toEqual(other);
    // Events of the replaced live run no longer land.
    emit({ type: 'run-events', runId: 'page-run-1', events: live });
    expect(store.getState().events).toEqual(other);
  });
});
