import { Rng, deriveSeed } from '../../engine/random';
import type { Problem, Task } from '../../engine/types';

/**
 * TinyMath arithmetic: a starting number and a chain of operations, solved one operation per line.
 * This file is the one source of truth for the task: the training data (scripts/export-arith-data.ts),
 * the app and the tests all use it, so Python never re-implements it.
 *
 * Compact form the model sees (one step per line, final-answer line last):
 *   Q:37,+45,*2,-13
 *   37+45=82
 *   82*2=164
 *   164-13=151
 *   A:151
 */

export type ArithOp = '+' | '-' | '*';

export interface ArithOperation {
  op: ArithOp;
  operand: number;
}

export interface ArithData {
  start: number;
  ops: ArithOperation[];
}

export interface ArithLevel {
  level: number;
  /** Number of operations in the chain. */
  steps: number;
  /** Largest starting value. */
  startMax: number;
  /** Largest operand of + and -. */
  addMax: number;
  /** Largest factor of *. */
  mulMax: number;
  /** Every intermediate value stays in [0, valueMax]. */
  valueMax: number;
}

/**
 * Difficulty rises faster than chain length alone: longer chains AND bigger numbers, because the
 * prototype found per-step error roughly flat in chain length but ~3x higher with 4-digit values.
 * Tuned for the TinyMath generator (training/REPORT.md), which learns arithmetic written
 * most-significant digit first slowly: operands stay at most two digits and factors one digit
 * (a first table with three-digit operands on 4-digit values left even level 1 unlearned after
 * half the training budget), levels 1-4 stay within 3-digit values and only level 5 reaches 4 digits.
 * Level 4 is level 3 with a longer chain: starting it from up to 999 left little room for `*`
 * (the error-prone step), which made it easier than level 3. Level 6 adds three-digit operands to
 * level 5's 4-digit values and a longer chain; level 7, the hardest, is level 6 with 16 operations
 * (a question with its solution is at most 317 characters, below the 320 where a revision prompt's
 * earlier attempts start counting positions). The generator learns levels 6-7 in a second
 * pretraining stage, after levels 1-5 (training/README.md, "Stages").
 */
export const ARITH_LEVELS: readonly ArithLevel[] = [
  { level: 1, steps: 1, startMax: 50, addMax: 20, mulMax: 9, valueMax: 99 },
  { level: 2, steps: 2, startMax: 99, addMax: 99, mulMax: 9, valueMax: 999 },
  { level: 3, steps: 4, startMax: 99, addMax: 99, mulMax: 9, valueMax: 999 },
  { level: 4, steps: 6, startMax: 99, addMax: 99, mulMax: 9, valueMax: 999 },
  { level: 5, steps: 8, startMax: 999, addMax: 99, mulMax: 9, valueMax: 9999 },
  { level: 6, steps: 10, startMax: 999, addMax: 999, mulMax: 9, valueMax: 9999 },
  { level: 7, steps: 16, startMax: 999, addMax: 999, mulMax: 9, valueMax: 9999 },
];

export const ARITH_TASK_ID = 'arith';
/** The line that closes each earlier attempt in a revision prompt: "write a new attempt now". */
export const ATTEMPT_SEPARATOR = '-\n';

export function arithLevel(level: number): ArithLevel {
  const spec = ARITH_LEVELS[level - 1];
  if (!spec) throw new Error(`arith: no level ${level} (levels are 1..${ARITH_LEVELS.length})`);
  return spec;
}

/** TinyMath is character-level: the longest line (14 characters, "9999-999=9000\n") fits in 24. */
export const ARITH_TOKENS_PER_STEP = 24;

/**
 * Token caps for a level: one step, and a whole solution (its operations, the answer line and a
 * line to spare). The app and the command line both use these, so a long level is never cut short.
 */
export function arithTokenCaps(level: number): { step: number; solution: number } {
  return {
    step: ARITH_TOKENS_PER_STEP,
    solution: ARITH_TOKENS_PER_STEP * (arithLevel(level).steps + 2),
  };
}

export function applyOp(a: number, op: ArithOp, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
  }
}

/** Pick one operation that keeps the value in [0, valueMax]. */
function pickOperation(rng: Rng, value: number, spec: ArithLevel): ArithOperation {
  for (;;) {
    const r = rng.next();
    if (r < 0.3) {
      const max = Math.min(spec.mulMax, Math.floor(spec.valueMax / Math.max(value, 1)));
      if (max >= 2 && value >= 2) return { op: '*', operand: rng.int(2, max) };
    } else if (r < 0.65) {
      const max = Math.min(spec.addMax, spec.valueMax - value);
      if (max >= 1) return { op: '+', operand: rng.int(1, max) };
    } else {
      const max = Math.min(spec.addMax, value);
      if (max >= 1) return { op: '-', operand: rng.int(1, max) };
    }
  }
}

export function generateArith(level: number, seed: number): ArithData {
  const spec = arithLevel(level);
  const rng = new Rng(deriveSeed(seed, level));
  const start = rng.int(2, spec.startMax);
  const ops: ArithOperation[] = [];
  let value = start;
  for (let i = 0; i < spec.steps; i++) {
    const operation = pickOperation(rng, value, spec);
    ops.push(operation);
    value = applyOp(value, operation.op, operation.operand);
  }
  return { start, ops };
}

export function evaluateArith(data: ArithData): number {
  return data.ops.reduce((v, o) => applyOp(v, o.op, o.operand), data.start);
}

const OP_WORDS: Record<ArithOp, string> = { '+': 'add', '-': 'subtract', '*': 'multiply by' };

/** The question in words, for people: "Start with 37, add 45, multiply by 2, subtract 13." */
export function describeArith(data: ArithData): string {
  const parts = [
    `Start with ${data.start}`,
    ...data.ops.map((o) => `${OP_WORDS[o.op]} ${o.operand}`),
  ];
  return `${parts.join(', ')}.`;
}

/** The compact question line the model sees (without the trailing newline). */
export function compactQuestion(data: ArithData): string {
  return `Q:${[String(data.start), ...data.ops.map((o) => `${o.op}${o.operand}`)].join(',')}`;
}

/** The canonical solution (steps joined by newlines, ending with a newline). */
export function canonicalSolution(data: ArithData): string {
  const lines: string[] = [];
  let value = data.start;
  for (const o of data.ops) {
    const next = applyOp(value, o.op, o.operand);
    lines.push(`${value}${o.op}${o.operand}=${next}`);
    value = next;
  }
  lines.push(`A:${value}`);
  return lines.map((l) => `${l}\n`).join('');
}

export function makeArithProblem(level: number, seed: number): Problem {
  const data = generateArith(level, seed);
  return {
    id: `arith-L${level}-${seed}`,
    taskId: ARITH_TASK_ID,
    level,
    question: describeArith(data),
    answer: String(evaluateArith(data)),
    data,
  };
}

/** Parse a problem id made by makeArithProblem back into the problem (share links carry ids). */
export function arithProblemFromId(id: string): Problem | null {
  const m = /^arith-L(\d+)-(\d+)$/.exec(id);
  if (!m) return null;
  const level = Number(m[1]);
  if (!ARITH_LEVELS[level - 1]) return null;
  return makeArithProblem(level, Number(m[2]));
}

function isArithData(x: unknown): x is ArithData {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Partial<ArithData>;
  return (
    typeof d.start === 'number' &&
    Array.isArray(d.ops) &&
    d.ops.every(
      (o: unknown) =>
        typeof o === 'object' &&
        o !== null &&
        ['+', '-', '*'].includes((o as ArithOperation).op) &&
        typeof (o as ArithOperation).operand === 'number',
    )
  );
}

function dataOf(problem: Problem): ArithData {
  if (!isArithData(problem.data)) throw new Error(`arith: problem ${problem.id} has no arith data`);
  return problem.data;
}

const STEP_RE = /^(-?\d+)([+\-*])(\d+)=(-?\d+)$/;
const ANSWER_RE = /^A:(-?\d+)$/;

/**
 * Exact step checker. Entry i is true when line i is right on its own terms: an operation line
 * applies the question's i-th operation to the previous line's stated result (or the start) with
 * correct arithmetic; the answer line comes after all operations and repeats the last result.
 */
export function checkArithSteps(data: ArithData, steps: readonly string[]): boolean[] {
  let prev = data.start;
  let opIndex = 0;
  let answered = false;
  return steps.map((raw) => {
    const step = raw.trim();
    if (answered) return false;
    const ans = ANSWER_RE.exec(step);
    if (ans) {
      answered = true;
      return opIndex === data.ops.length && Number(ans[1]) === prev;
    }
    const m = STEP_RE.exec(step);
    const expected = data.ops[opIndex];
    opIndex++;
    if (!m || !expected) return false;
    const a = Number(m[1]);
    const op = m[2] as ArithOp;
    const b = Number(m[3]);
    const c = Number(m[4]);
    const ok =
      a === prev && op === expected.op && b === expected.operand && c === applyOp(a, op, b);
    prev = c;
    return ok;
  });
}

export const arithTask: Task = {
  id: ARITH_TASK_ID,
  label: 'TinyMath arithmetic',
  levels: ARITH_LEVELS.length,
  stepDelimiter: '\n',
  formatPrompt(problem, previousAttempts = []) {
    // Earlier attempts come first, each closed by the separator line; the question line follows,
    // so a new attempt starts right after the question as in a plain prompt (docs/model-format.md).
    const attempts = previousAttempts
      .slice(-4)
      .map((a) => `${a.endsWith('\n') ? a : `${a}\n`}${ATTEMPT_SEPARATOR}`);
    return `${attempts.join('')}${compactQuestion(dataOf(problem))}\n`;
  },
  splitSteps(solution) {
    return solution
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  },
  extractAnswer(solution) {
    const lines = solution.split('\n').map((s) => s.trim());
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = ANSWER_RE.exec(lines[i] ?? '');
      if (m) return String(Number(m[1]));
    }
    return null;
  },
  normalizeAnswer(answer) {
    const t = answer.trim();
    return /^-?\d+$/.test(t) ? String(Number(t)) : t;
  },
  isCorrect(problem, answer) {
    return answer !== null && this.normalizeAnswer(answer) === this.normalizeAnswer(problem.answer);
  },
  isFinalStep(step) {
    return ANSWER_RE.test(step.trim());
  },
  checkSteps(problem, steps) {
    return checkArithSteps(dataOf(problem), steps);
  },
  sampleProblems(level, count, seed) {
    return Array.from({ length: count }, (_, i) =>
      makeArithProblem(level, deriveSeed(seed, i) % 1_000_000_000),
    );
  },
};
