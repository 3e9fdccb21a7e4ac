/**
 * What the command line's sweep shares between its main thread and its worker threads
 * (`--jobs`, sweepWorker.ts): the options, loading the models, and the sweep's plan and backend.
 * No side effects on import, so that a worker can load it.
 */
import { existsSync } from 'node:fs';
import type { parseArgs } from 'node:util';
import {
  createStrategySweepBackend,
  fixedSweepConfigs,
  searchSetting,
  type SearchSpec,
} from '../engine/sweepBackend';
import {
  interleave,
  runSweep,
  sweepShareOf,
  type SweepBackend,
  type SweepEvent,
  type SweepRecord,
  type SweepSetting,
} from '../engine/sweep';
import { oracleVerifier } from '../engine/verifiers/oracle';
import type { LanguageModel, Problem, Verifier } from '../engine/types';
import { OpenAICompletionsModel } from '../runtime/http/openai';
import { TINYMATH_MODELS, loadTinyMathFromDir, type TinyMathBundle } from '../runtime/tinymath';
import { arithTask, arithTokenCaps } from '../tasks/arith';
import { CliError, parseAggregation, parseLevels, parseNumber } from './args';

export const options = {
  level: { type: 'string' },
  problem: { type: 'string' },
  'problem-seed': { type: 'string' },
  strategy: { type: 'string' },
  n: { type: 'string' },
  m: { type: 'string' },
  k: { type: 'string' },
  chains: { type: 'string' },
  selection: { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  aggregation: { type: 'string' },
  verifier: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  tree: { type: 'boolean' },
  levels: { type: 'string' },
  'per-level': { type: 'string' },
  nmax: { type: 'string' },
  settings: { type: 'string' },
  summary: { type: 'string' },
  csv: { type: 'string' },
  models: { type: 'string' },
  backend: { type: 'string' },
  server: { type: 'string' },
  'server-model': { type: 'string' },
  'server-params': { type: 'string' },
  'max-tokens': { type: 'string' },
  jobs: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

export interface Backends {
  model: LanguageModel;
  verifier: Verifier | null;
  bundle: TinyMathBundle | null;
}

export async function loadBackends(
  v: Values,
  { quiet = false }: { quiet?: boolean } = {},
): Promise<Backends> {
  const verifierName = v.verifier ?? 'prm';
  if (!['prm', 'oracle', 'none'].includes(verifierName)) {
    throw new CliError(`--verifier must be prm, oracle or none, got "${verifierName}"`);
  }
  const backend = (v.backend ?? 'cpu') as 'auto' | 'cpu' | 'webgpu';
  if (!['auto', 'cpu', 'webgpu'].includes(backend))
    throw new CliError(`--backend must be auto, cpu or webgpu`);
  const needTiny = !v.server || verifierName === 'prm';
  let bundle: TinyMathBundle | null = null;
  if (needTiny) {
    const dir = v.models ?? 'public/models';
    if (!existsSync(dir))
      throw new CliError(
        `no TinyMath exports at ${dir}: it should hold the ${TINYMATH_MODELS} (tinymath-gen/, tinymath-rev/, tinymath-prm/); train them with npm run train, or pass --models`,
      );
    bundle = await loadTinyMathFromDir(dir, { backend });
    if (bundle.notice && !quiet) console.error(`note: ${bundle.notice}`);
  }
  let model: LanguageModel;
  if (v.server) {
    if (!v['server-model']) throw new CliError('--server needs --server-model');
    model = new OpenAICompletionsModel({
      baseUrl: v.server,
      model: v['server-model'],
      parameterCount: parseNumber('server-params', v['server-params'], 1e9),
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
    });
  } else {
    model = bundle!.generator;
  }
  const verifier =
    verifierName === 'none'
      ? null
      : verifierName === 'oracle'
        ? oracleVerifier(arithTask)
        : bundle!.prm;
  return { model, verifier, bundle };
}

/** Parse one sweep setting name: bon, maj, naive, beam4, dvts4, la4k1, rev4. */
export function parseSetting(name: string): SweepSetting<SearchSpec> {
  const s = name.trim();
  if (s === 'bon')
    return { kind: 'pool', id: 'bon-weighted', label: 'Best-of-N weighted', selection: 'weighted' };
  if (s === 'maj')
    return { kind: 'pool', id: 'majority', label: 'Majority vote', selection: 'majority' };
  if (s === 'naive')
    return { kind: 'pool', id: 'bon-naive', label: 'Best-of-N (naive)', selection: 'naive' };
  let m: RegExpExecArray | null;
  if ((m = /^beam(\d+)$/.exec(s))) return searchSetting({ kind: 'beam', beamWidth: Number(m[1]) });
  if ((m = /^dvts(\d+)$/.exec(s))) return searchSetting({ kind: 'dvts', beamWidth: Number(m[1]) });
  if ((m = /^la(\d+)k(\d+)$/.exec(s)))
    return searchSetting({ kind: 'lookahead', beamWidth: Number(m[1]), lookahead: Number(m[2]) });
  if ((m = /^rev(\d+)$/.exec(s)))
    return searchSetting({ kind: 'revisions', chainLength: Number(m[1]), selection: 'verifier' });
  throw new CliError(
    `unknown sweep setting "${s}" (use bon, maj, naive, beamM, dvtsM, laMkK, revL)`,
  );
}

/** A sweep's problems (in rounds of one per level), budgets, settings and seed, from the options. */
export function sweepPlan(v: Values): {
  problems: Problem[];
  budgets: number[];
  settings: SweepSetting<SearchSpec>[];
  seed: number;
} {
  const levels = parseLevels(v.levels, arithTask.levels);
  const perLevel = parseNumber('per-level', v['per-level'], 8);
  const nMax = parseNumber('nmax', v.nmax, 16);
  if (nMax < 1 || (nMax & (nMax - 1)) !== 0) throw new CliError('--nmax must be a power of two');
  const budgets: number[] = [];
  for (let b = 1; b <= nMax; b *= 2) budgets.push(b);
  const settings = (v.settings ?? 'bon,maj,beam4,rev4').split(',').map(parseSetting);
  const seed = parseNumber('seed', v.seed, 1);
  // One problem of each level per round: the time-left estimate then sees every level early.
  const problems = interleave(
    levels.map((level) => arithTask.sampleProblems(level, perLevel, seed + level)),
  );
  return { problems, budgets, settings, seed };
}

/** The sweep backend on loaded models: token caps and selection as the options say. */
export function sweepBackendFor(
  v: Values,
  { model, verifier }: Pick<Backends, 'model' | 'verifier'>,
): SweepBackend<Problem, SearchSpec> {
  const runSettings = {
    temperature: parseNumber('temperature', v.temperature, 1, false),
    topP: 1,
    aggregation: parseAggregation(v.aggregation),
    maxRounds: 40,
  };
  // Token caps follow each problem's level (a level-5 solution is longer than a level-1 one).
  const configsFor = (problem: Problem) => {
    const caps = arithTokenCaps(problem.level);
    return fixedSweepConfigs(
      { ...runSettings, solutionMaxTokens: caps.solution, stepMaxTokens: caps.step },
      verifier ? 'weighted' : 'majority',
    );
  };
  return createStrategySweepBackend<SearchSpec>({
    task: arithTask,
    model,
    verifier,
    poolConfig: (problem, nMax) => configsFor(problem).poolConfig(problem, nMax),
    searchConfig: (spec, budget, problem) =>
      configsFor(problem).searchConfig(spec, budget, problem),
  });
}

/**
 * Sweep problems `shard`, `shard + jobs`, ... of the plan on models loaded here, passing each of
 * the runner's events on: the whole sweep when `jobs` is 1, one worker's share otherwise.
 * @param quiet leave out what loading the models noticed (every worker but the first)
 */
export async function sweepShard(o: {
  values: Values;
  shard: number;
  jobs: number;
  completed: readonly SweepRecord[];
  signal: AbortSignal;
  onEvent: (e: SweepEvent) => void;
  quiet?: boolean;
}): Promise<void> {
  const { problems, budgets, settings, seed } = sweepPlan(o.values);
  const mine = sweepShareOf(problems, o.shard, o.jobs);
  const ids = new Set(mine.map((p) => p.id));
  const backends = await loadBackends(o.values, { quiet: o.quiet ?? false });
  try {
    for await (const e of runSweep({
      problems: mine,
      budgets,
      settings,
      backend: sweepBackendFor(o.values, backends),
      seed,
      completed: o.completed.filter((r) => ids.has(r.problemId)),
      signal: o.signal,
    }))
      o.onEvent(e);
  } finally {
    backends.bundle?.dispose();
  }
}
