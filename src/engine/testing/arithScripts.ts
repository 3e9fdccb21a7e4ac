/**
 * Scripts and verifiers with known behaviour on the arith task, so strategies meet real, checkable
 * mistakes in tests and engine demos without a trained model.
 */
import { Rng, deriveSeed } from '../random';
import type { Problem, Task, Verifier, VerifierKind } from '../types';
import { hashString } from '../strategies/common';
import type { ScriptWriter } from './scriptedModel';

type Op = '+' | '-' | '*';

interface ParsedQuestion {
  start: number;
  ops: { op: Op; operand: number }[];
}

/** Parse the compact question line "Q:37,+45,*2,-13". */
export function parseArithQuestion(line: string): ParsedQuestion | null {
  const m = /^Q:(-?\d+)((?:,[+\-*]\d+)*)$/.exec(line.trim());
  if (!m) return null;
  const ops = (m[2] ?? '')
    .split(',')
    .filter((s) => s.length > 0)
    .map((s) => ({ op: s[0] as Op, operand: Number(s.slice(1)) }));
  return { start: Number(m[1]), ops };
}

function apply(a: number, op: Op, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

export interface NoisyArithSolverOptions {
  /** Chance that one operation line gets a wrong result (the rest continues from it). */
  stepErrorRate: number;
  /**
   * Multiplies the error rate once per previous attempt in a revision prompt (1 = revisions do
   * not help, 0.5 = each earlier attempt halves the error rate).
   */
  revisionErrorFactor?: number;
}

/**
 * A scripted generator for arith prompts: optional earlier attempts (each ending in its "A:" line
 * and the "-" separator line), the question line, then optionally the current partial solution. It writes the rest of the canonical solution, but each operation line is wrong with
 * probability `stepErrorRate` (result off by 1..9), and later lines build on the wrong value as a real model would. The final
 * line repeats the last stated value, so wrong steps give wrong (and varied) answers.
 */
export function noisyArithSolver(options: NoisyArithSolverOptions): ScriptWriter {
  const factor = options.revisionErrorFactor ?? 1;
  return (prompt, rng) => {
    // Earlier attempts (each closed by the "-" separator line) come before the question line;
    // the current partial solution follows it.
    const lines = prompt.split('\n');
    const q = lines.findIndex((l) => parseArithQuestion(l) !== null);
    const question = q >= 0 ? parseArithQuestion(lines[q] ?? '') : null;
    if (!question)
      throw new Error(`noisyArithSolver: not an arith prompt: ${JSON.stringify(prompt)}`);
    const attempts = lines.slice(0, q).filter((l) => /^A:/.test(l.trim())).length;
    const body = lines.slice(q + 1);
    const partialLine = body.pop() ?? '';
    const current = body.map((l) => l.trim()).filter((l) => l.length > 0);
    let value = question.start;
    for (const l of current) {
      const m = /=(-?\d+)$/.exec(l);
      if (m) value = Number(m[1]);
    }
    const rate = options.stepErrorRate * Math.pow(factor, attempts);
    // A prompt cut inside a line: finish that line first.
    let out = partialLine.length > 0 ? '\n' : '';
    for (let i = current.length; i < question.ops.length; i++) {
      const o = question.ops[i];
      if (!o) break;
      let result = apply(value, o.op, o.operand);
      if (rng.next() < rate) {
        const delta = rng.int(1, 9);
        result = result - delta >= 0 && rng.next() < 0.5 ? result - delta : result + delta;
      }
      out += `${value}${o.op}${o.operand}=${result}\n`;
      value = result;
    }
    return `${out}A:${value}\n`;
  };
}

/** A fixed continuation for every prompt (for tests of the backend itself). */
export function constantScript(text: string): ScriptWriter {
  return () => text;
}

export interface ScriptedVerifierOptions {
  /** Step scores for a (partial or complete) solution, one per step, in [0,1]. */
  score: (problem: Problem, steps: readonly string[]) => number[];
  id?: string;
  kind?: VerifierKind;
  parameterCount?: number;
}

/** Label of the scripted verifier; like the backend, it never poses as a trained PRM. */
export const SCRIPTED_VERIFIER_LABEL = 'Scripted test verifier';

/**
 * A Verifier whose scores come from a function. Tokens read = characters of the steps plus one
 * tag per step, like the TinyMath PRM input.
 */
export function scriptedVerifier(options: ScriptedVerifierOptions): Verifier & { calls: number } {
  const v = {
    id: options.id ?? 'scripted-prm',
    label: SCRIPTED_VERIFIER_LABEL,
    kind: options.kind ?? ('prm' as VerifierKind),
    parameterCount: options.parameterCount ?? 500_000,
    calls: 0,
    async scoreSteps(
      requests: readonly { problem: Problem; steps: readonly string[] }[],
      signal?: AbortSignal,
    ) {
      v.calls++;
      signal?.throwIfAborted();
      return requests.map(({ problem, steps }) => {
        const stepScores = options.score(problem, steps);
        if (stepScores.length !== steps.length) {
          throw new Error('scriptedVerifier: score() must give one score per step');
        }
        const tokens = steps.reduce((n, s) => n + s.length + 2, 0);
        return { stepScores, tokens };
      });
    },
  };
  return v;
}

export interface NoisyOracleOptions {
  /** Scores are 1-noise..1 on track, 0..noise off track (noise < 0.5 keeps them apart). */
  noise: number;
  seed: number;
}

/**
 * PRM-like scores: the oracle's prefix correctness, blurred by seeded noise. The noise depends on
 * (seed, problem, the path text up to the step), so the same path always gets the same scores,
 * like a deterministic PRM.
 */
export function noisyOracleScores(
  task: Task,
  options: NoisyOracleOptions,
): (problem: Problem, steps: readonly string[]) => number[] {
  if (!task.checkSteps) throw new Error(`noisyOracleScores: task "${task.id}" has no checkSteps`);
  const check = task.checkSteps.bind(task);
  return (problem, steps) => {
    const ok = check(problem, steps);
    let onTrack = true;
    let path = '';
    return steps.map((s, i) => {
      onTrack = onTrack && ok[i] === true;
      path += `${s}\n`;
      const rng = new Rng(deriveSeed(options.seed, hashString(problem.id), hashString(path)));
      const jitter = rng.next() * options.noise;
      return onTrack ? 1 - jitter : jitter;
    });
  };
}

/**
 * Scores from a table keyed by the joined steps ("37+45=82\nA:82"); missing paths score
 * `fallback` at every step.
 */
export function tableScores(
  table: Record<string, readonly number[]>,
  fallback = 0.5,
): (problem: Problem, steps: readonly string[]) => number[] {
  return (_problem, steps) => {
    const row = table[steps.join('\n')];
    if (row && row.length === steps.length) return row.slice();
    return steps.map(() => fallback);
  };
}
