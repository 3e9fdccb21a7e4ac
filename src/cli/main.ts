/**
 * ttc-lab on the command line: `npm run ttc -- <command> [options]`.
 *
 *   run       one strategy on one problem; prints the result and writes the trace
 *   sweep     accuracy against budget over many problems (resumable JSONL records)
 *   validate  check a trace file
 *
 * Runs on the embedded TinyMath models (CPU in Node, or WebGPU through Dawn), or on an
 * OpenAI-compatible server (vLLM) with --server.
 */
import { existsSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runStrategy } from '../engine/run';
import { oracleVerifier } from '../engine/verifiers/oracle';
import {
  interleave,
  runSweep,
  summarizeSweep,
  sweepSummaryToCsv,
  type SweepRecord,
  type SweepSetting,
} from '../engine/sweep';
import {
  createStrategySweepBackend,
  fixedSweepConfigs,
  searchSetting,
  type SearchSpec,
} from '../engine/sweepBackend';
import { replayTrace } from '../engine/trace/reducer';
import { parseTraceFile, serializeTrace } from '../engine/trace/io';
import type { TraceEvent } from '../engine/trace/events';
import type { LanguageModel, Problem, Verifier } from '../engine/types';
import { arithProblemFromId, arithTask, arithTokenCaps, makeArithProblem } from '../tasks/arith';
import { OpenAICompletionsModel } from '../runtime/http/openai';
import { loadTinyMathFromDir, type TinyMathBundle } from '../runtime/tinymath';
import {
  CliError,
  parseAggregation,
  parseLevels,
  parseNumber,
  parseStrategy,
  progressText,
  toStrategyConfig,
} from './args';

const USAGE = `ttc-lab command line

Usage: npm run ttc -- <command> [options]

Commands:
  run        Run one strategy on one problem and print the result
  sweep      Accuracy against compute budget over many problems
  validate   Check a trace file: validate FILE

Run options:
  --level L            difficulty level 1-${arithTask.levels} (default 3)
  --problem ID         a problem id such as arith-L3-17 (default: from --problem-seed)
  --problem-seed S     seed of the problem at --level (default 1)
  --strategy S         best-of-n | revisions | beam | lookahead | dvts (default beam)
  --n N                generation budget (default 16)
  --m M                beam width: proposals per beam (default 4)
  --k K                lookahead steps (default 1)
  --chains C           parallel revision chains (default 4; chain length = N / C)
  --selection S        best-of-n: naive | majority | weighted; revisions: verifier | majority
  --temperature T      (default 1)    --top-p P (default 1)
  --aggregation A      last | min | product (default last)
  --max-tokens T       cap per generation (default: from the level, as in the app)
  --verifier V         prm | oracle | none (default prm; oracle = exact step checker)
  --seed S             run seed (default 1)
  --out FILE           write the trace as JSON
  --tree               print every node with its score

Sweep options:
  --levels 1-5         levels to draw problems from (default: all)
  --per-level N        problems per level (default 8)
  --nmax N             largest budget; budgets are 1, 2, 4, ... N (default 16)
  --settings LIST      comma list of: bon, maj, naive, beamM, dvtsM, laMkK, revL
                       (default bon,maj,beam4,rev4)
  --out FILE           JSONL of records; an existing file is resumed (default sweep.jsonl)
  --summary FILE       summary JSON (default sweep-summary.json)   --csv FILE

Backend options:
  --models DIR         TinyMath exports (default public/models)
  --backend B          auto | cpu | webgpu (Dawn in Node; default cpu)
  --server URL         OpenAI-compatible server, e.g. http://localhost:8000/v1 (generator only)
  --server-model NAME  model name on that server   --server-params N  its parameter count
`;

const options = {
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
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

interface Backends {
  model: LanguageModel;
  verifier: Verifier | null;
  bundle: TinyMathBundle | null;
}

async function loadBackends(v: Values): Promise<Backends> {
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
        `no TinyMath exports at ${dir} (train them with npm run train, or pass --models)`,
      );
    bundle = await loadTinyMathFromDir(dir, { backend });
    if (bundle.notice) console.error(`note: ${bundle.notice}`);
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

function pickProblem(v: Values): Problem {
  if (v.problem) {
    const p = arithProblemFromId(v.problem);
    if (!p) throw new CliError(`unknown problem id "${v.problem}" (ids look like arith-L3-17)`);
    return p;
  }
  const level = parseNumber('level', v.level, 3);
  if (level < 1 || level > arithTask.levels)
    throw new CliError(`--level must be 1..${arithTask.levels}`);
  return makeArithProblem(level, parseNumber('problem-seed', v['problem-seed'], 1));
}

function fmt(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GFLOP` : n.toLocaleString('en-US');
}

async function commandRun(v: Values): Promise<number> {
  const problem = pickProblem(v);
  const config = toStrategyConfig({
    strategy: parseStrategy(v.strategy),
    n: parseNumber('n', v.n, 16),
    beamWidth: parseNumber('m', v.m, 4),
    lookahead: parseNumber('k', v.k, 1),
    chains: parseNumber('chains', v.chains, 4),
    selection: v.selection ?? '',
    temperature: parseNumber('temperature', v.temperature, 1, false),
    topP: parseNumber('top-p', v['top-p'], 1, false),
    aggregation: parseAggregation(v.aggregation),
    maxTokens: v['max-tokens'] ? parseNumber('max-tokens', v['max-tokens'], 0) : null,
    level: problem.level,
    maxRounds: 40,
  });
  const { model, verifier, bundle } = await loadBackends(v);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('\ncancelling (the trace so far is kept)...');
    controller.abort();
  });
  console.log(`problem ${problem.id}: ${problem.question}`);
  console.log(
    `strategy ${config.kind}, N=${config.n}; model: ${model.label}; verifier: ${verifier?.label ?? 'none (majority vote)'}`,
  );
  const events: TraceEvent[] = [];
  const t0 = performance.now();
  for await (const e of runStrategy({
    task: arithTask,
    problem,
    model,
    verifier,
    config,
    seed: parseNumber('seed', v.seed, 1),
    signal: controller.signal,
  })) {
    events.push(e);
  }
  const seconds = (performance.now() - t0) / 1000;
  bundle?.dispose();
  const state = replayTrace(events);
  const last = events.at(-1);
  if (v.tree) {
    for (const id of state.order) {
      const node = state.nodes[id];
      if (!node || node.kind === 'root') continue;
      const score = node.score === undefined ? '' : ` score=${node.score.toFixed(3)}`;
      const mark = node.correct === undefined ? '' : node.correct ? ' ✓' : ' ✗';
      const flag = node.status === 'pruned' ? ' (pruned)' : node.selected ? ' (selected)' : '';
      console.log(
        `${'  '.repeat(node.depth)}${node.id} ${JSON.stringify(node.text)}${score}${mark}${flag}`,
      );
    }
  }
  if (last?.type === 'run_finished') {
    const c = last.costs;
    console.log(
      `answer: ${last.answer ?? '(none)'}   reference: ${problem.answer}   ${last.correct ? 'correct' : 'wrong'}   [${last.status}]`,
    );
    if (last.error) console.log(`error: ${last.error}`);
    console.log(
      `cost: ${c.generations} generations, ${fmt(c.generatedTokens)} generated + ${fmt(c.promptTokens)} prompt + ${fmt(c.verifierTokens)} verifier tokens, ${fmt(c.flops)} FLOPs; ${seconds.toFixed(2)} s`,
    );
  }
  if (v.out) {
    writeFileSync(v.out, serializeTrace(events));
    console.log(`trace written to ${v.out} (${events.length} events)`);
  }
  return last?.type === 'run_finished' && last.status === 'error' ? 1 : 0;
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

async function commandSweep(v: Values): Promise<number> {
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
  const out = v.out ?? 'sweep.jsonl';
  const completed: SweepRecord[] = existsSync(out)
    ? readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as SweepRecord)
    : [];
  if (completed.length > 0)
    console.error(`resuming: ${completed.length} records already in ${out}`);
  const { model, verifier, bundle } = await loadBackends(v);
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
  const backend = createStrategySweepBackend<SearchSpec>({
    task: arithTask,
    model,
    verifier,
    poolConfig: (problem, nMax) => configsFor(problem).poolConfig(problem, nMax),
    searchConfig: (spec, budget, problem) =>
      configsFor(problem).searchConfig(spec, budget, problem),
  });
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('\ncancelling; finished records are kept and a rerun resumes');
    controller.abort();
  });
  const records = [...completed];
  const t0 = performance.now();
  let lastProgressS: number | null = null;
  for await (const e of runSweep({
    problems,
    budgets,
    settings,
    backend,
    seed,
    completed,
    signal: controller.signal,
  })) {
    if (e.type === 'record') {
      records.push(e.record);
      appendFileSync(out, `${JSON.stringify(e.record)}\n`);
    } else if (e.type === 'progress') {
      const elapsedS = (performance.now() - t0) / 1000;
      const text = progressText(
        { done: e.done, total: e.total, work: e.work, elapsedS, lastWrittenS: lastProgressS },
        process.stderr.isTTY === true,
      );
      if (text !== null) {
        process.stderr.write(text);
        lastProgressS = elapsedS;
      }
    } else {
      const lead = process.stderr.isTTY ? '\n' : '';
      process.stderr.write(`${lead}${e.aborted ? 'cancelled' : 'done'}: ${e.done}/${e.total}\n`);
    }
  }
  bundle?.dispose();
  const summary = summarizeSweep(records, { settings, budgets, seed });
  writeFileSync(v.summary ?? 'sweep-summary.json', JSON.stringify(summary, null, 2));
  if (v.csv) writeFileSync(v.csv, sweepSummaryToCsv(summary));
  console.log(
    `accuracy (all ${summary.overall.problemIds.length} problems) by budget ${budgets.join(', ')}:`,
  );
  for (const s of summary.settings) {
    const pts = summary.overall.curves[s.id] ?? [];
    const row = budgets.map((b) => {
      const p = pts.find((x) => x.budget === b);
      return p ? p.accuracy.mean.toFixed(2) : '  - ';
    });
    console.log(`  ${s.label.padEnd(28)} ${row.join('  ')}`);
  }
  const opt = summary.overall.computeOptimal.map((p) => p.accuracy.toFixed(2));
  console.log(`  ${'Compute-optimal (2-fold CV)'.padEnd(28)} ${opt.join('  ')}`);
  return 0;
}

function commandValidate(file: string | undefined): number {
  if (!file) throw new CliError('validate needs a file: npm run ttc -- validate trace.json');
  const result = parseTraceFile(readFileSync(file, 'utf8'));
  if (!result.ok) {
    console.error(`${file}: ${result.error}`);
    return 1;
  }
  const state = replayTrace(result.trace.events);
  console.log(
    `${file}: valid ttc-lab trace v${result.trace.version}, ${result.trace.events.length} events, ${state.order.length} nodes`,
  );
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  try {
    if (command === 'run') return await commandRun(values);
    if (command === 'sweep') return await commandSweep(values);
    if (command === 'validate') return commandValidate(positionals[1]);
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
