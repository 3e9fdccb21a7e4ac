/**
 * ttc-lab on the command line: `npm run ttc -- <command> [options]`.
 *
 *   run       one strategy on one problem; prints the result and writes the trace
 *   sweep     accuracy against budget over many problems (resumable JSONL records)
 *   validate  check a trace file
 *
 * Runs on the embedded TinyMath models (the generator, the revision model that writes every
 * revision, and the PRM; CPU in Node, or WebGPU through Dawn), or on an OpenAI-compatible server
 * (vLLM) with --server.
 */
import { existsSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runStrategy } from '../engine/run';
import {
  sumSweepCounts,
  summarizeSweep,
  sweepSummaryToCsv,
  type SweepCounts,
  type SweepEvent,
  type SweepRecord,
} from '../engine/sweep';
import { replayTrace } from '../engine/trace/reducer';
import { parseTraceFile, serializeTrace } from '../engine/trace/io';
import type { TraceEvent } from '../engine/trace/events';
import type { Problem } from '../engine/types';
import { arithProblemFromId, arithTask, makeArithProblem } from '../tasks/arith';
import {
  CliError,
  parseAggregation,
  parseNumber,
  parseStrategy,
  progressText,
  toStrategyConfig,
} from './args';
import { loadBackends, options, sweepPlan, sweepShard, type Values } from './setup';
import { runSweepWorkers } from './sweepWorkers';

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
  --jobs J             worker threads, each sweeping every J-th problem (default 1); the
                       records are the same as with one

Backend options:
  --models DIR         the TinyMath generator, revision model and PRM: a folder holding
                       tinymath-gen/, tinymath-rev/ and tinymath-prm/ (default public/models);
                       revision prompts (earlier attempts) go to the revision model
  --backend B          auto | cpu | webgpu (Dawn in Node; default cpu)
  --server URL         OpenAI-compatible server, e.g. http://localhost:8000/v1 (generator only)
  --server-model NAME  model name on that server   --server-params N  its parameter count
`;

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

async function commandSweep(v: Values): Promise<number> {
  const { problems, budgets, settings, seed } = sweepPlan(v);
  const jobs = parseNumber('jobs', v.jobs, 1);
  if (jobs < 1) throw new CliError('--jobs must be at least 1');
  if (jobs > 1 && (v.backend ?? 'cpu') !== 'cpu') {
    throw new CliError('--jobs above 1 runs the CPU path in each worker: leave out --backend');
  }
  const out = v.out ?? 'sweep.jsonl';
  const completed: SweepRecord[] = existsSync(out)
    ? readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as SweepRecord)
    : [];
  if (completed.length > 0)
    console.error(`resuming: ${completed.length} records already in ${out}`);

  const records = [...completed];
  const t0 = performance.now();
  let lastProgressS: number | null = null;
  // Each shard's latest counts; the line shows their sums once every shard has reported.
  const shards: (SweepCounts | undefined)[] = Array.from({ length: jobs });
  const sum = () => sumSweepCounts(shards.filter((x) => x !== undefined));
  let cancelled = false;
  const onEvent = (e: SweepEvent, shard: number): void => {
    if (e.type === 'record') {
      records.push(e.record);
      appendFileSync(out, `${JSON.stringify(e.record)}\n`);
      return;
    }
    shards[shard] = { done: e.done, total: e.total, work: e.work };
    if (e.type === 'done') cancelled ||= e.aborted;
    if (e.type !== 'progress' || shards.some((x) => x === undefined)) return;
    const elapsedS = (performance.now() - t0) / 1000;
    const text = progressText({ ...sum(), elapsedS, lastWrittenS: lastProgressS }, isTTY());
    if (text !== null) {
      process.stderr.write(text);
      lastProgressS = elapsedS;
    }
  };

  const controller = new AbortController();
  const onSigint = (): void => {
    console.error('\ncancelling; finished records are kept and a rerun resumes');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    if (jobs === 1) {
      await sweepShard({
        values: v,
        shard: 0,
        jobs: 1,
        completed,
        signal: controller.signal,
        onEvent: (e) => onEvent(e, 0),
      });
    } else {
      await runSweepWorkers({ values: v, jobs, completed, signal: controller.signal, onEvent });
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  const final = sum();
  const lead = isTTY() ? '\n' : '';
  process.stderr.write(
    `${lead}${cancelled ? 'cancelled' : 'done'}: ${final.done}/${final.total}\n`,
  );

  // The summary reads problems in the plan's order, whatever order the workers finished in, so
  // that its cross-validation splits do not depend on --jobs.
  // Records of problems outside this plan (an --out reused with other options) keep their place
  // after the plan's.
  const order = new Map(problems.map((p, i) => [p.id, i]));
  const at = (id: string): number => order.get(id) ?? problems.length;
  records.sort((a, b) => at(a.problemId) - at(b.problemId));
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

function isTTY(): boolean {
  return process.stderr.isTTY === true;
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
