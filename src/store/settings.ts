/**
 * Every setting of a run, and the table that writes them to and reads them from the URL hash
 * (after tensorflow/playground's state.ts): a shared link reproduces the same run, seed included.
 * Pure functions, no DOM: the page calls them with `location.hash`.
 */
import type { Aggregation, Selection, StrategyConfig, StrategyKind } from '../engine/types';
import { TASKS, taskEntry } from '../app/tasks';

export type VerifierChoice = 'prm' | 'oracle' | 'none';

/** What a link carries. Playback speed and presentation mode travel too: they shape the demo. */
export interface RunSettings {
  task: string;
  level: number;
  /** Problem id within the task (e.g. "arith-L3-1234"). */
  problemId: string;
  strategy: StrategyKind;
  /** Generation budget N. */
  n: number;
  /** Beam width M (beam, lookahead, DVTS). */
  beamWidth: number;
  /** Lookahead steps k. */
  lookahead: number;
  /** Parallel revision chains; chain length is n / chains (the sequential:parallel ratio). */
  chains: number;
  temperature: number;
  /** How step scores become one solution score. */
  aggregation: Aggregation;
  /** Best-of-N answer selection; revisions use 'majority' or the verifier. */
  selection: Selection;
  verifier: VerifierChoice;
  seed: number;
  /** Playback speed multiplier. */
  speed: number;
  presentation: boolean;
}

export const STRATEGIES: readonly { kind: StrategyKind; label: string }[] = [
  { kind: 'best-of-n', label: 'Best-of-N' },
  { kind: 'revisions', label: 'Sequential revisions' },
  { kind: 'beam', label: 'PRM beam search' },
  { kind: 'lookahead', label: 'Lookahead search' },
  { kind: 'dvts', label: 'Diverse verifier tree search (DVTS)' },
];

export const BUDGETS = [1, 2, 4, 8, 16, 32, 64] as const;
export const BEAM_WIDTHS = [2, 4, 8] as const;
export const LOOKAHEADS = [1, 2, 3] as const;
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 64] as const;
export const AGGREGATIONS: readonly Aggregation[] = ['last', 'min', 'product'];
export const SELECTIONS: readonly Selection[] = ['weighted', 'majority', 'naive'];
/**
 * The verifier choices a link can carry. What each means depends on the active model and the
 * task (TinyMath's PRM or an LLM-as-judge; step checker or final-answer oracle): the controls
 * label them with src/app/modelChoice.ts's verifierOptions.
 */
export const VERIFIERS: readonly { value: VerifierChoice; label: string }[] = [
  { value: 'prm', label: 'Learned verifier (PRM)' },
  { value: 'oracle', label: 'Oracle (ground truth)' },
  { value: 'none', label: 'None (majority vote)' },
];

/** The run that starts by itself on a fresh page: PRM beam search on a level-3 problem. */
export function defaultSettings(): RunSettings {
  const level = 3;
  const firstProblem = taskEntry('arith').pickerProblems(level)[0];
  return {
    task: 'arith',
    level,
    problemId: firstProblem ? firstProblem.id : '',
    strategy: 'beam',
    n: 8,
    beamWidth: 4,
    lookahead: 1,
    chains: 2,
    temperature: 0.8,
    aggregation: 'last',
    selection: 'weighted',
    verifier: 'prm',
    seed: 1,
    speed: 2,
    presentation: false,
  };
}

type Field = keyof RunSettings;

interface ParamSpec {
  /** Short name in the URL hash. */
  key: string;
  field: Field;
  parse(raw: string): RunSettings[Field] | undefined;
  format(value: RunSettings[Field]): string;
}

function intIn(min: number, max: number) {
  return (raw: string): number | undefined => {
    if (!/^-?\d+$/.test(raw)) return undefined;
    const v = Number(raw);
    return v >= min && v <= max ? v : undefined;
  };
}

function numberIn(allowed: readonly number[]) {
  return (raw: string): number | undefined => {
    const v = Number(raw);
    return raw !== '' && allowed.includes(v) ? v : undefined;
  };
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (raw: string): T | undefined =>
    (allowed as readonly string[]).includes(raw) ? (raw as T) : undefined;
}

const str = (v: unknown): string => String(v);

/**
 * The one table of settings a link carries: URL key, field, allowed values. Reading and writing
 * the hash both walk this table, so a setting cannot be shared one way and lost the other.
 */
export const URL_PARAMS: readonly ParamSpec[] = [
  { key: 'task', field: 'task', parse: oneOf(Object.keys(TASKS)), format: str },
  { key: 'level', field: 'level', parse: intIn(1, 20), format: str },
  {
    key: 'problem',
    field: 'problemId',
    parse: (raw) => (/^[\w.-]{1,80}$/.test(raw) ? raw : undefined),
    format: str,
  },
  { key: 'strategy', field: 'strategy', parse: oneOf(STRATEGIES.map((s) => s.kind)), format: str },
  { key: 'n', field: 'n', parse: numberIn(BUDGETS), format: str },
  { key: 'm', field: 'beamWidth', parse: numberIn(BEAM_WIDTHS), format: str },
  { key: 'k', field: 'lookahead', parse: numberIn(LOOKAHEADS), format: str },
  { key: 'chains', field: 'chains', parse: numberIn(BUDGETS), format: str },
  {
    key: 'temp',
    field: 'temperature',
    parse: (raw) => {
      const v = Number(raw);
      return raw !== '' && Number.isFinite(v) && v >= 0 && v <= 2 ? v : undefined;
    },
    format: str,
  },
  { key: 'agg', field: 'aggregation', parse: oneOf(AGGREGATIONS), format: str },
  { key: 'select', field: 'selection', parse: oneOf(SELECTIONS), format: str },
  { key: 'verifier', field: 'verifier', parse: oneOf(VERIFIERS.map((v) => v.value)), format: str },
  { key: 'seed', field: 'seed', parse: intIn(0, 2 ** 31 - 1), format: str },
  { key: 'speed', field: 'speed', parse: numberIn(SPEEDS), format: str },
  {
    key: 'present',
    field: 'presentation',
    parse: (raw) => (raw === '1' ? true : raw === '0' ? false : undefined),
    format: (v) => (v ? '1' : '0'),
  },
];

/**
 * Make a combination of settings consistent: M and the chain count must divide N (all powers of
 * two), and the problem must belong to the task and level. Changing N therefore clamps M and the
 * chains instead of producing a run the engine would refuse.
 *
 * A fetched task (GSM8K, MATH-500) whose problems are not loaded yet keeps an id of its shape,
 * so a shared link survives until they arrive; normalising again after the load checks it.
 */
export function normalizeSettings(s: RunSettings): RunSettings {
  const out = { ...s };
  const entry = TASKS[out.task] ?? taskEntry('arith');
  if (!TASKS[out.task]) out.task = 'arith';
  out.level = Math.min(Math.max(1, Math.round(out.level)), entry.task.levels);
  if (entry.isReady()) {
    const problem = entry.problemFromId(out.problemId);
    if (!problem || problem.level !== out.level) {
      out.problemId = entry.pickerProblems(out.level)[0]?.id ?? '';
    }
  } else if (!entry.ownsProblemId(out.problemId)) {
    out.problemId = '';
  }
  // Search keeps N/M beams, so M may not exceed N: lowering N lowers M with it.
  const isSearch =
    out.strategy === 'beam' || out.strategy === 'lookahead' || out.strategy === 'dvts';
  // Tree search ranks steps by a verifier; without one it cannot run, so it falls back to the PRM.
  if (isSearch && out.verifier === 'none') out.verifier = 'prm';
  if (isSearch && out.beamWidth > out.n) {
    out.beamWidth = [...BEAM_WIDTHS].reverse().find((m) => m <= out.n) ?? BEAM_WIDTHS[0];
    out.n = Math.max(out.n, out.beamWidth);
  }
  out.chains = Math.min(out.chains, out.n);
  out.temperature = Math.round(out.temperature * 100) / 100;
  return out;
}

/** Settings from a URL hash ("#level=3&n=16..."). Unknown or invalid values fall back to defaults. */
export function settingsFromHash(
  hash: string,
  defaults: RunSettings = defaultSettings(),
): RunSettings {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const out: Record<string, unknown> = { ...defaults };
  for (const spec of URL_PARAMS) {
    const raw = params.get(spec.key);
    if (raw === null) continue;
    const value = spec.parse(raw);
    if (value !== undefined) out[spec.field] = value;
  }
  const settings = out as unknown as RunSettings;
  // A link that names a problem decides the level, so the two cannot disagree.
  const problem = TASKS[settings.task]?.problemFromId(settings.problemId);
  if (problem && params.get('level') === null) settings.level = problem.level;
  return normalizeSettings(settings);
}

/** The URL hash (without "#") that reproduces these settings. Every table entry is written. */
export function settingsToHash(s: RunSettings): string {
  const params = new URLSearchParams();
  for (const spec of URL_PARAMS) params.set(spec.key, spec.format(s[spec.field]));
  return params.toString();
}

/** Which settings change the run (as opposed to how it is played back or shown). */
export function runKey(s: RunSettings): string {
  const { speed: _speed, presentation: _presentation, ...rest } = s;
  return JSON.stringify(rest);
}

/**
 * The engine's strategy config for these settings. Token caps come from the task and level
 * (TinyMath: a whole solution has operations + 1 lines; chat tasks: paragraphs). Search stops a
 * few rounds after a typical solution would have ended, rather than the paper's 40 rounds,
 * because the solutions here are short.
 */
export function strategyConfigFor(s: RunSettings): StrategyConfig {
  const entry = taskEntry(s.task);
  const steps = entry.solutionSteps(s.level);
  const caps = entry.tokenCaps(s.level);
  const solutionTokens = caps.solution;
  const stepTokens = caps.step;
  const maxRounds = Math.min(40, steps + 3);
  const common = {
    n: s.n,
    temperature: s.temperature,
    topP: 1,
    aggregation: s.aggregation,
  };
  switch (s.strategy) {
    case 'best-of-n':
      return {
        ...common,
        kind: 'best-of-n',
        maxTokens: solutionTokens,
        selection: s.verifier === 'none' ? 'majority' : s.selection,
      };
    case 'revisions':
      return {
        ...common,
        kind: 'revisions',
        maxTokens: solutionTokens,
        chains: s.chains,
        selection: s.verifier === 'none' || s.selection === 'majority' ? 'majority' : 'verifier',
      };
    case 'beam':
      return {
        ...common,
        kind: 'beam',
        maxTokens: stepTokens,
        beamWidth: s.beamWidth,
        maxRounds,
      };
    case 'lookahead':
      return {
        ...common,
        kind: 'lookahead',
        maxTokens: stepTokens,
        beamWidth: s.beamWidth,
        lookahead: s.lookahead,
        maxRounds,
      };
    case 'dvts':
      return {
        ...common,
        kind: 'dvts',
        maxTokens: stepTokens,
        beamWidth: s.beamWidth,
        maxRounds,
      };
  }
}
