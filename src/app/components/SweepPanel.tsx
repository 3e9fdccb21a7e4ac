import { useId, useMemo, useState } from 'react';
import { useAppStore } from '../../store/react';
import type { Binning } from '../../store/slices/sweepSlice';
import { BUDGETS, STRATEGIES } from '../../store/settings';
import type { SweepRequest } from '../../store/sweepTypes';
import type { StrategyKind } from '../../engine/types';
import type { ComputeUnit } from '../viewProps';
import { useController } from '../controllerContext';
import { summarizeForPlot } from '../sweepSummary';
import { SweepFigure } from './SweepFigure';
import { taskEntry } from '../tasks';
import { taskModelMismatch, verifierOptions } from '../modelChoice';

const UNITS: { value: ComputeUnit; label: string }[] = [
  { value: 'generations', label: 'Generations' },
  { value: 'tokens', label: 'Tokens' },
  { value: 'flops', label: 'FLOPs' },
];

/** The sweep's form: which problems, which strategies, up to which budget. */
function SweepForm({ onStart, running }: { onStart(r: SweepRequest): void; running: boolean }) {
  const id = useId();
  const stored = useAppStore((s) => s.sweep.request);
  const task = useAppStore((s) => s.settings.task);
  const activeModel = useAppStore((s) => s.activeModel);
  const levelsAvailable = taskEntry(task).task.levels;
  const mismatch = taskModelMismatch(task, activeModel);
  const [levels, setLevels] = useState<number[]>(stored?.levels ?? [1, 2, 3]);
  const [problemsPerLevel, setProblemsPerLevel] = useState(stored?.problemsPerLevel ?? 4);
  const [nMax, setNMax] = useState(stored?.nMax ?? 8);
  const [strategies, setStrategies] = useState<StrategyKind[]>(
    stored?.strategies ?? ['best-of-n', 'beam'],
  );
  const [verifier, setVerifier] = useState<SweepRequest['verifier']>(stored?.verifier ?? 'prm');
  const [seed, setSeed] = useState(stored?.seed ?? 1);
  const toggle = <T,>(list: T[], v: T) =>
    list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
  const valid = levels.length > 0 && strategies.length > 0 && problemsPerLevel >= 1;

  return (
    <form
      className="sweep-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid || running || mismatch) return;
        onStart({
          taskId: task,
          levels: [...levels].sort((a, b) => a - b),
          problemsPerLevel,
          problemSeed: seed,
          nMax,
          strategies: STRATEGIES.map((s) => s.kind).filter((k) => strategies.includes(k)),
          verifier,
          seed,
        });
      }}
    >
      <fieldset>
        <legend>Levels</legend>
        {Array.from({ length: levelsAvailable }, (_, i) => i + 1).map((l) => (
          <label key={l} className="check">
            <input
              type="checkbox"
              aria-label={`Level ${l}`}
              checked={levels.includes(l)}
              onChange={() => setLevels(toggle(levels, l))}
            />
            {l}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Strategies</legend>
        {STRATEGIES.map((s) => (
          <label key={s.kind} className="check">
            <input
              type="checkbox"
              checked={strategies.includes(s.kind)}
              onChange={() => setStrategies(toggle(strategies, s.kind))}
            />
            {s.label}
          </label>
        ))}
      </fieldset>
      <div className="field-grid">
        <div className="field">
          <label htmlFor={`${id}-ppl`}>Problems per level</label>
          <input
            id={`${id}-ppl`}
            type="number"
            min={1}
            max={100}
            value={problemsPerLevel}
            onChange={(e) =>
              setProblemsPerLevel(
                Math.max(1, Math.min(100, Math.round(Number(e.target.value)) || 1)),
              )
            }
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-nmax`}>Largest budget N</label>
          <select id={`${id}-nmax`} value={nMax} onChange={(e) => setNMax(Number(e.target.value))}>
            {BUDGETS.filter((b) => b >= 2).map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-verifier`}>Sweep verifier</label>
          <select
            id={`${id}-verifier`}
            value={verifier}
            onChange={(e) => setVerifier(e.target.value as SweepRequest['verifier'])}
          >
            {verifierOptions(activeModel, task)
              .filter((v) => v.value !== 'none')
              .map((v) => (
                <option key={v.value} value={v.value}>
                  {v.label}
                </option>
              ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-seed`}>Sweep seed</label>
          <input
            id={`${id}-seed`}
            type="number"
            min={0}
            value={seed}
            onChange={(e) => setSeed(Math.max(0, Math.round(Number(e.target.value)) || 0))}
          />
        </div>
      </div>
      {mismatch ? <p className="hint">{mismatch}</p> : null}
      <button type="submit" disabled={!valid || running || mismatch !== null}>
        Run sweep
      </button>
    </form>
  );
}

/** The plots area: run a sweep in the worker, watch its progress, plot and export the result. */
export function SweepPanel() {
  const controller = useController();
  const sweep = useAppStore((s) => s.sweep);
  const presentation = useAppStore((s) => s.settings.presentation);
  const setUnit = useAppStore((s) => s.setSweepUnit);
  const setBinning = useAppStore((s) => s.setSweepBinning);
  const binningId = useId();
  const running = sweep.status === 'running';
  const summary = useMemo(
    () =>
      sweep.request && sweep.records.length > 0
        ? summarizeForPlot(sweep.request, sweep.records, sweep.binning)
        : null,
    [sweep.request, sweep.records, sweep.binning],
  );

  return (
    <div className="sweep-panel">
      <div className="sweep-side">
        <h2 id="plots-heading" className="panel-title">
          Accuracy against compute
        </h2>
        <p className="muted">
          Runs every chosen strategy on a set of problems at budgets 1, 2, 4, … N in the worker.
          Results are kept in this browser, so a reload resumes.
        </p>
        <SweepForm onStart={(r) => void controller.startSweep(r)} running={running} />
        <div className="sweep-progress" aria-live="polite">
          <progress
            aria-label="Sweep progress"
            max={Math.max(1, sweep.total)}
            value={sweep.done}
            data-testid="sweep-progress"
          />
          <span data-testid="sweep-status" data-status={sweep.status}>
            {sweep.status === 'idle'
              ? 'No sweep yet.'
              : `${sweep.status === 'running' ? 'Running' : capitalize(sweep.status)}: ${sweep.done} / ${sweep.total || '?'}${
                  sweep.message ? ` · ${sweep.message}` : ''
                }`}
          </span>
        </div>
        {sweep.error ? <p className="error-text">{sweep.error}</p> : null}
        <div className="row">
          <button type="button" disabled={!running} onClick={() => controller.cancelSweep()}>
            Cancel sweep
          </button>
          <button
            type="button"
            disabled={running || sweep.status === 'idle'}
            onClick={() => void controller.clearSweep()}
          >
            Clear results
          </button>
        </div>
      </div>
      <div className="sweep-main">
        <div className="row plot-options">
          <div className="row unit-switch" role="radiogroup" aria-label="Compute unit">
            {UNITS.map((u) => (
              <label key={u.value} className="check">
                <input
                  type="radio"
                  name="sweep-unit"
                  value={u.value}
                  checked={sweep.unit === u.value}
                  onChange={() => setUnit(u.value)}
                />
                {u.label}
              </label>
            ))}
          </div>
          <label htmlFor={binningId}>Panels</label>
          <select
            id={binningId}
            className="binning-select"
            value={sweep.binning}
            onChange={(e) => setBinning(e.target.value as Binning)}
          >
            <option value="oracle">Oracle difficulty bins (pass@1)</option>
            <option value="predicted">Predicted difficulty bins (verifier)</option>
            <option value="overall">All problems together</option>
          </select>
        </div>
        <div className="sweep-figure" data-testid="sweep-figure">
          {summary ? (
            <SweepFigure summary={summary} unit={sweep.unit} presentation={presentation} />
          ) : (
            <p className="muted">Run a sweep to plot accuracy against compute.</p>
          )}
        </div>
      </div>
    </div>
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
