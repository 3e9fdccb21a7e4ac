import { useId, type ReactNode } from 'react';
import { SequentialCostNote } from '../../runtime/webllm/ui/WebLLMSpeed';
import { TINYMATH_MODELS } from '../../runtime/tinymath/names';
import { useAppStore } from '../../store/react';
import {
  AGGREGATIONS,
  BEAM_WIDTHS,
  BUDGETS,
  LOOKAHEADS,
  SELECTIONS,
  STRATEGIES,
  type RunSettings,
} from '../../store/settings';
import type { Aggregation, Selection, StrategyKind } from '../../engine/types';
import { familyOf, verifierOptions } from '../modelChoice';
import { TASKS, taskEntry, type ModelFamily } from '../tasks';
import { useController } from '../controllerContext';
import { DiceIcon, ReseedIcon } from './icons';

const FAMILY_TAGS: Record<ModelFamily, string> = {
  tinymath: 'TinyMath',
  chat: 'WebLLM models',
};

/** Benchmark questions are paragraphs; the picker shows their start. */
function shortQuestion(question: string, max = 90): string {
  const oneLine = question.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

const AGGREGATION_LABELS: Record<Aggregation, string> = {
  last: 'Last step (paper)',
  min: 'Minimum over steps',
  product: 'Product of steps',
};

const SELECTION_LABELS: Record<Selection, string> = {
  weighted: 'Best-of-N weighted (paper)',
  majority: 'Majority vote',
  naive: 'Highest score (naive)',
};

const SEARCH: readonly StrategyKind[] = ['beam', 'lookahead', 'dvts'];

/** One labelled field; the label names the control for screen readers. */
function Field(props: { label: string; id: string; children: ReactNode; hint?: string }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <div className="hint">{props.hint}</div> : null}
    </div>
  );
}

/** Every run setting. Each change is normalised by the store and starts a new run. */
export function Controls() {
  const settings = useAppStore((s) => s.settings);
  const setSetting = useAppStore((s) => s.setSetting);
  const controller = useController();
  const runStatus = useAppStore((s) => s.runStatus);
  const activeModel = useAppStore((s) => s.activeModel);
  const speed = useAppStore((s) => s.webllmSpeed);
  const taskData = useAppStore((s) => s.taskData[settings.task]);
  const id = useId();
  const entry = taskEntry(settings.task);
  const ready = entry.isReady();
  const set =
    <K extends keyof RunSettings>(k: K) =>
    (v: RunSettings[K]) =>
      setSetting(k, v);

  // Read on every render (a dozen problems, cheap): a fetched task's list appears when its
  // problems arrive, which `taskData` above re-renders for.
  const problems = entry.pickerProblems(settings.level);
  const family = familyOf(activeModel);
  const verifiers = verifierOptions(activeModel, settings.task);
  const current = entry.problemFromId(settings.problemId);
  const listed = problems.some((p) => p.id === settings.problemId);
  const isSearch = SEARCH.includes(settings.strategy);
  const chainOptions = BUDGETS.filter((c) => c <= settings.n);
  const running = runStatus === 'running' || runStatus === 'waiting';

  return (
    <form className="controls-form" onSubmit={(e) => e.preventDefault()}>
      <h2 className="panel-title">Run</h2>
      <Field
        label="Task"
        id={`${id}-task`}
        {...(family === 'tinymath' && entry.modelFamily === 'tinymath'
          ? { hint: `Models: ${TINYMATH_MODELS}.` }
          : {})}
      >
        <select
          id={`${id}-task`}
          value={settings.task}
          onChange={(e) => set('task')(e.target.value)}
        >
          {Object.entries(TASKS).map(([taskId, t]) => (
            <option key={taskId} value={taskId}>
              {t.task.label}
              {t.modelFamily === family ? '' : ` (needs ${FAMILY_TAGS[t.modelFamily]})`}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Difficulty level" id={`${id}-level`}>
        <select
          id={`${id}-level`}
          value={settings.level}
          onChange={(e) => set('level')(Number(e.target.value))}
        >
          {Array.from({ length: entry.task.levels }, (_, i) => i + 1).map((l) => (
            <option key={l} value={l}>
              {entry.levelLabel(l)}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Problem"
        id={`${id}-problem`}
        {...(taskData?.status === 'error'
          ? { hint: `The problems could not be loaded: ${taskData.error}` }
          : {})}
      >
        <div className="row">
          <select
            id={`${id}-problem`}
            value={ready ? settings.problemId : ''}
            disabled={!ready}
            title={current?.question}
            onChange={(e) => set('problemId')(e.target.value)}
          >
            {!ready ? (
              <option value="">
                {taskData?.status === 'error' ? 'Problems unavailable' : 'Loading problems…'}
              </option>
            ) : null}
            {!listed && current ? (
              <option value={current.id}>{shortQuestion(current.question)}</option>
            ) : null}
            {problems.map((p, i) => (
              <option key={p.id} value={p.id}>
                {i + 1}. {shortQuestion(p.question)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="icon-button"
            aria-label="Random problem"
            title="Random problem"
            disabled={!ready}
            onClick={() => {
              const seed = Math.floor(Math.random() * 1_000_000_000);
              const problem = entry.problemFromSeed(settings.level, seed);
              if (problem) set('problemId')(problem.id);
            }}
          >
            <DiceIcon />
          </button>
        </div>
      </Field>
      <Field label="Strategy" id={`${id}-strategy`}>
        <select
          id={`${id}-strategy`}
          value={settings.strategy}
          onChange={(e) => set('strategy')(e.target.value as StrategyKind)}
        >
          {STRATEGIES.map((s) => (
            <option key={s.kind} value={s.kind}>
              {s.label}
            </option>
          ))}
        </select>
      </Field>
      <div className="field-grid">
        <Field label="Budget N" id={`${id}-n`}>
          <select
            id={`${id}-n`}
            value={settings.n}
            onChange={(e) => set('n')(Number(e.target.value))}
          >
            {BUDGETS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Beam width M" id={`${id}-m`}>
          <select
            id={`${id}-m`}
            value={settings.beamWidth}
            disabled={!isSearch}
            onChange={(e) => set('beamWidth')(Number(e.target.value))}
          >
            {BEAM_WIDTHS.filter((m) => m <= Math.max(settings.n, BEAM_WIDTHS[0])).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Lookahead k" id={`${id}-k`}>
          <select
            id={`${id}-k`}
            value={settings.lookahead}
            disabled={settings.strategy !== 'lookahead'}
            onChange={(e) => set('lookahead')(Number(e.target.value))}
          >
            {LOOKAHEADS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Seq : par ratio" id={`${id}-chains`}>
          <select
            id={`${id}-chains`}
            value={settings.chains}
            disabled={settings.strategy !== 'revisions'}
            onChange={(e) => set('chains')(Number(e.target.value))}
          >
            {chainOptions.map((chains) => (
              <option key={chains} value={chains}>
                {settings.n / chains}:{chains}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label={`Temperature ${settings.temperature.toFixed(2)}`} id={`${id}-temp`}>
        <input
          id={`${id}-temp`}
          type="range"
          min={0}
          max={1.5}
          step={0.05}
          value={settings.temperature}
          onChange={(e) => set('temperature')(Number(e.target.value))}
        />
      </Field>
      <Field label="Step-score aggregation" id={`${id}-agg`}>
        <select
          id={`${id}-agg`}
          value={settings.aggregation}
          disabled={settings.verifier === 'none'}
          onChange={(e) => set('aggregation')(e.target.value as Aggregation)}
        >
          {AGGREGATIONS.map((a) => (
            <option key={a} value={a}>
              {AGGREGATION_LABELS[a]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Answer selection" id={`${id}-select`}>
        <select
          id={`${id}-select`}
          value={settings.verifier === 'none' ? 'majority' : settings.selection}
          disabled={settings.verifier === 'none' || isSearch}
          onChange={(e) => set('selection')(e.target.value as Selection)}
        >
          {SELECTIONS.map((s) => (
            <option key={s} value={s}>
              {SELECTION_LABELS[s]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Verifier" id={`${id}-verifier`}>
        <select
          id={`${id}-verifier`}
          value={settings.verifier}
          onChange={(e) => set('verifier')(e.target.value as RunSettings['verifier'])}
        >
          {verifiers
            .filter((v) => v.value !== 'none' || !isSearch)
            .map((v) => (
              <option key={v.value} value={v.value}>
                {v.label}
              </option>
            ))}
        </select>
      </Field>
      <Field label="Seed" id={`${id}-seed`}>
        <div className="row">
          <input
            id={`${id}-seed`}
            type="number"
            min={0}
            step={1}
            value={settings.seed}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (Number.isInteger(v) && v >= 0 && v < 2 ** 31) set('seed')(v);
            }}
          />
          <button
            type="button"
            className="icon-button"
            aria-label="New seed"
            title="New seed"
            onClick={() => set('seed')(Math.floor(Math.random() * 1_000_000))}
          >
            <ReseedIcon />
          </button>
        </div>
      </Field>
      {activeModel.kind === 'webllm' ? (
        <SequentialCostNote
          samples={
            settings.strategy === 'lookahead' ? settings.n * (settings.lookahead + 1) : settings.n
          }
          speed={speed}
          tokensPerSample={entry.tokenCaps(settings.level).solution}
        />
      ) : null}
      <div className="row run-buttons">
        <button type="button" onClick={() => controller.startRun()}>
          Run again
        </button>
        <button type="button" disabled={!running} onClick={() => controller.cancelRun()}>
          Stop run
        </button>
      </div>
    </form>
  );
}
