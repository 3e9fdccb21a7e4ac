/**
 * Writes the TinyMath training and evaluation data as JSONL, from the task code in src/tasks/arith,
 * so that the Python pipeline in training/ never re-implements the task.
 *
 *   npx tsx scripts/export-arith-data.ts [--out training/out/data] [--train-per-level 40000]
 *                                        [--eval-per-level 100] [--checker-cases 400]
 *
 * Files written into --out:
 *   train.jsonl    problems from TRAIN_SEED, minus any whose question also appears in eval.jsonl
 *   eval.jsonl     held-out problems from EVAL_SEED
 *   checker.jsonl  canonical and deliberately wrong solutions with the TypeScript checker's verdicts,
 *                  so a Python test can prove its small step checker agrees with this one
 *   meta.json      seeds, counts and the ARITH_LEVELS table the data was made from
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/engine/random';
import type { Problem } from '../src/engine/types';
import { promptPositions } from '../src/runtime/tinymath/format';
import {
  ARITH_LEVELS,
  arithTask,
  canonicalSolution,
  compactQuestion,
  type ArithData,
} from '../src/tasks/arith';

export const TRAIN_SEED = 1001;
export const EVAL_SEED = 2002;
const CHECKER_SEED = 3003;

/** One problem as the Python side reads it. */
export interface ArithRecord {
  id: string;
  level: number;
  /** task.formatPrompt(problem): the compact question line plus its newline. */
  prompt: string;
  /** The canonical solution (one step per line, `A:` line last, trailing newline). */
  solution: string;
  answer: string;
  start: number;
  ops: { op: string; operand: number }[];
}

/** A solution text with the TypeScript task's verdicts on it. */
export interface CheckerCase {
  id: string;
  level: number;
  kind: string;
  answer: string;
  start: number;
  ops: { op: string; operand: number }[];
  solution: string;
  steps: string[];
  verdicts: boolean[];
  extracted: string | null;
  correct: boolean;
  /** arithTask.formatPrompt(problem): the question line. */
  prompt: string;
  /** arithTask.formatPrompt(problem, [solution, solution]), for the Python revision prompt test. */
  revisionPrompt: string;
  /** promptPositions of that prompt (the runtime's position ids), for the Python layout test. */
  revisionPositions: number[];
}

function dataOf(problem: Problem): ArithData {
  return problem.data as ArithData;
}

/** The record written for one problem. */
export function toRecord(problem: Problem): ArithRecord {
  const data = dataOf(problem);
  return {
    id: problem.id,
    level: problem.level,
    prompt: arithTask.formatPrompt(problem),
    solution: canonicalSolution(data),
    answer: problem.answer,
    start: data.start,
    ops: data.ops.map((o) => ({ op: o.op, operand: o.operand })),
  };
}

/** Replace the number after `=` in a step line. */
function withResult(line: string, value: number): string {
  return line.replace(/=(-?\d+)$/, `=${value}`);
}

/**
 * Wrong (and a few right but unusual) variants of a canonical solution, covering the mistakes a
 * model makes: arithmetic slips with the chain carried on, copy errors, wrong operands or operators,
 * missing or extra steps, and malformed lines.
 */
export function solutionVariants(data: ArithData, rng: Rng): { kind: string; solution: string }[] {
  const lines = canonicalSolution(data).trimEnd().split('\n');
  const ops = lines.slice(0, -1);
  const k = rng.int(0, ops.length - 1);
  const join_ = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
  const delta = rng.pick([-10, -1, 1, 2, 10, 100]);
  const out: { kind: string; solution: string }[] = [{ kind: 'canonical', solution: join_(lines) }];

  // Arithmetic slip at step k, then the rest of the chain continued correctly from the wrong value.
  {
    const m = /^(-?\d+)([+\-*])(\d+)=(-?\d+)$/.exec(ops[k] ?? '');
    if (m) {
      let value = Number(m[4]) + delta;
      const ls = ops.slice(0, k);
      ls.push(withResult(ops[k] ?? '', value));
      for (const o of data.ops.slice(k + 1)) {
        const next =
          o.op === '+' ? value + o.operand : o.op === '-' ? value - o.operand : value * o.operand;
        ls.push(`${value}${o.op}${o.operand}=${next}`);
        value = next;
      }
      ls.push(`A:${value}`);
      out.push({ kind: 'slip-carried', solution: join_(ls) });
    }
  }
  // Arithmetic slip at step k, but the next step copies the true value (inconsistent chain).
  {
    const ls = [...lines];
    const m = /=(-?\d+)$/.exec(ls[k] ?? '');
    if (m) ls[k] = withResult(ls[k] ?? '', Number(m[1]) + delta);
    out.push({ kind: 'slip-recovered', solution: join_(ls) });
  }
  // Wrong operand, wrong operator, wrong final answer, answer too early, missing answer.
  {
    const ls = [...lines];
    ls[k] = (ls[k] ?? '').replace(
      /([+\-*])(\d+)=/,
      (_, op: string, b: string) => `${op}${Number(b) + 1}=`,
    );
    out.push({ kind: 'wrong-operand', solution: join_(ls) });
  }
  {
    const ls = [...lines];
    ls[k] = (ls[k] ?? '').replace(
      /^(-?\d+)([+\-*])/,
      (_, a: string, op: string) => `${a}${op === '+' ? '-' : '+'}`,
    );
    out.push({ kind: 'wrong-operator', solution: join_(ls) });
  }
  {
    const ls = [...lines];
    const last = ls.length - 1;
    ls[last] = `A:${Number((ls[last] ?? 'A:0').slice(2)) + delta}`;
    out.push({ kind: 'wrong-answer-line', solution: join_(ls) });
  }
  out.push({ kind: 'answer-early', solution: join_([...ops.slice(0, k), `A:${data.start}`]) });
  out.push({ kind: 'no-answer', solution: join_(ops) });
  out.push({
    kind: 'missing-step',
    solution: join_([...ops.slice(0, k), ...ops.slice(k + 1), lines[lines.length - 1] ?? '']),
  });
  out.push({
    kind: 'extra-step',
    solution: join_([...ops, ops[ops.length - 1] ?? '', lines[lines.length - 1] ?? '']),
  });
  out.push({ kind: 'after-answer', solution: join_([...lines, 'A:1']) });
  out.push({
    kind: 'garbage-line',
    solution: join_([...ops.slice(0, k), '12+=3', ...lines.slice(k + 1)]),
  });
  out.push({
    kind: 'leading-zero',
    solution: join_(lines.map((l) => l.replace(/^A:(\d+)$/, 'A:0$1'))),
  });
  out.push({ kind: 'blank-lines', solution: `\n${lines.join('\n\n')}\n` });
  out.push({
    kind: 'negative',
    solution: join_([...ops.slice(0, k), `${data.start}-99999=-${99999 - data.start}`, 'A:-5']),
  });
  return out;
}

/** The checker's verdicts for one solution text, exactly as the app computes them. */
export function checkerCase(problem: Problem, kind: string, solution: string): CheckerCase {
  const data = dataOf(problem);
  const steps = arithTask.splitSteps(solution);
  const extracted = arithTask.extractAnswer(solution);
  const revisionPrompt = arithTask.formatPrompt(problem, [solution, solution]);
  return {
    id: problem.id,
    level: problem.level,
    kind,
    answer: problem.answer,
    start: data.start,
    ops: data.ops.map((o) => ({ op: o.op, operand: o.operand })),
    solution,
    steps,
    verdicts: arithTask.checkSteps?.(problem, steps) ?? [],
    extracted,
    correct: arithTask.isCorrect(problem, extracted),
    prompt: arithTask.formatPrompt(problem),
    revisionPrompt,
    revisionPositions: promptPositions([...revisionPrompt]),
  };
}

function argValue(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Options of {@link writeArithData}. */
export interface ExportOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Training problems drawn per level (before removing eval duplicates). */
  trainPerLevel: number;
  /** Held-out problems per level. */
  evalPerLevel: number;
  /** Problems (over all levels) whose solution variants go into checker.jsonl. */
  checkerCases: number;
}

/** Write train.jsonl, eval.jsonl, checker.jsonl and meta.json; returns the meta record. */
export function writeArithData(opts: ExportOptions) {
  const { out, trainPerLevel, evalPerLevel, checkerCases } = opts;
  mkdirSync(out, { recursive: true });

  const evalRows: ArithRecord[] = [];
  const trainRows: ArithRecord[] = [];
  let dropped = 0;
  for (const spec of ARITH_LEVELS) {
    const evalProblems = arithTask.sampleProblems(spec.level, evalPerLevel, EVAL_SEED);
    const held = new Set(evalProblems.map((p) => compactQuestion(dataOf(p))));
    evalRows.push(...evalProblems.map(toRecord));
    for (const p of arithTask.sampleProblems(spec.level, trainPerLevel, TRAIN_SEED)) {
      // Easy levels have few distinct problems, so seeds alone do not keep eval held out.
      if (held.has(compactQuestion(dataOf(p)))) dropped++;
      else trainRows.push(toRecord(p));
    }
  }
  writeJsonl(join(out, 'train.jsonl'), trainRows);
  writeJsonl(join(out, 'eval.jsonl'), evalRows);

  const rng = new Rng(CHECKER_SEED);
  const cases: CheckerCase[] = [];
  const perLevel = Math.max(1, Math.ceil(checkerCases / ARITH_LEVELS.length));
  for (const spec of ARITH_LEVELS) {
    for (const p of arithTask.sampleProblems(spec.level, perLevel, CHECKER_SEED)) {
      for (const v of solutionVariants(dataOf(p), rng))
        cases.push(checkerCase(p, v.kind, v.solution));
    }
  }
  writeJsonl(join(out, 'checker.jsonl'), cases);

  const meta = {
    trainSeed: TRAIN_SEED,
    evalSeed: EVAL_SEED,
    checkerSeed: CHECKER_SEED,
    train: trainRows.length,
    eval: evalRows.length,
    droppedFromTrain: dropped,
    checkerCases: cases.length,
    levels: ARITH_LEVELS,
  };
  writeFileSync(join(out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

function main(): void {
  const args = process.argv.slice(2);
  const out = argValue(args, '--out', 'training/out/data');
  const meta = writeArithData({
    out,
    trainPerLevel: Number(argValue(args, '--train-per-level', '40000')),
    evalPerLevel: Number(argValue(args, '--eval-per-level', '100')),
    checkerCases: Number(argValue(args, '--checker-cases', '400')),
  });
  console.log(
    `export-arith-data: ${meta.train} train, ${meta.eval} eval, ${meta.checkerCases} checker cases ` +
      `(${meta.droppedFromTrain} train problems dropped as duplicates of eval) -> ${out}`,
  );
}

if (process.argv[1] && /export-arith-data\.ts$/.test(process.argv[1])) main();
