/**
 * Command-line settings for `npm run ttc`: one table of options, parsed into the engine's
 * StrategyConfig. Kept apart from main.ts so it is unit-tested without loading any model.
 */
import type { Aggregation, StrategyConfig, StrategyKind } from '../engine/types';
import { arithTokenCaps } from '../tasks/arith';
import { sweepTimeLeftS, timeLeftText } from '../engine/sweep/runner';

export interface CliRunOptions {
  strategy: StrategyKind;
  n: number;
  beamWidth: number;
  lookahead: number;
  chains: number;
  selection: string;
  temperature: number;
  topP: number;
  aggregation: Aggregation;
  /** The problem's level: it sets the token caps unless maxTokens is given. */
  level: number;
  maxTokens: number | null;
  maxRounds: number;
}

const STRATEGIES: readonly StrategyKind[] = ['best-of-n', 'revisions', 'beam', 'lookahead', 'dvts'];
const AGGREGATIONS: readonly Aggregation[] = ['last', 'min', 'product'];

export class CliError extends Error {}

export function parseNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  integer = true,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
  }
  return v;
}

export function parseStrategy(raw: string | undefined): StrategyKind {
  const s = (raw ?? 'beam') as StrategyKind;
  if (!STRATEGIES.includes(s))
    throw new CliError(`--strategy must be one of ${STRATEGIES.join(', ')}, got "${raw}"`);
  return s;
}

export function parseAggregation(raw: string | undefined): Aggregation {
  const a = (raw ?? 'last') as Aggregation;
  if (!AGGREGATIONS.includes(a))
    throw new CliError(`--aggregation must be one of ${AGGREGATIONS.join(', ')}, got "${raw}"`);
  return a;
}

/**
 * The engine config for the command-line options. Whole solutions get more tokens than steps;
 * without --max-tokens both come from the level, as in the app.
 */
export function toStrategyConfig(o: CliRunOptions): StrategyConfig {
  const common = { n: o.n, temperature: o.temperature, topP: o.topP, aggregation: o.aggregation };
  const caps = arithTokenCaps(o.level);
  const solutionTokens = o.maxTokens ?? caps.solution;
  const stepTokens = o.maxTokens ?? caps.step;
  switch (o.strategy) {
    case 'best-of-n': {
      const selection = o.selection || 'weighted';
      if (!['naive', 'majority', 'weighted'].includes(selection)) {
        throw new CliError(
          `--selection for best-of-n is naive, majority or weighted, got "${selection}"`,
        );
      }
      return {
        ...common,
        kind: 'best-of-n',
        selection: selection as 'naive' | 'majority' | 'weighted',
        maxTokens: solutionTokens,
      };
    }
    case 'revisions': {
      const selection = o.selection || 'verifier';
      if (!['verifier', 'majority'].includes(selection)) {
        throw new CliError(`--selection for revisions is verifier or majority, got "${selection}"`);
      }
      return {
        ...common,
        kind: 'revisions',
        chains: o.chains,
        selection: selection as 'verifier' | 'majority',
        maxTokens: solutionTokens,
      };
    }
    case 'beam':
    case 'dvts':
      return {
        ...common,
        kind: o.strategy,
        beamWidth: o.beamWidth,
        maxRounds: o.maxRounds,
        maxTokens: stepTokens,
      };
    case 'lookahead':
      return {
        ...common,
        kind: 'lookahead',
        beamWidth: o.beamWidth,
        lookahead: o.lookahead,
        maxRounds: o.maxRounds,
        maxTokens: stepTokens,
      };
  }
}

/** Parse "1-5" or "1,3,5" into levels. */
export function parseLevels(raw: string | undefined, maxLevel: number): number[] {
  if (!raw) return Array.from({ length: maxLevel }, (_, i) => i + 1);
  const out = new Set<number>();
  for (const part of raw.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new CliError(`--levels takes a list like 1-5 or 1,3,5, got "${raw}"`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let l = Math.min(a, b); l <= Math.max(a, b); l++) {
      if (l < 1 || l > maxLevel)
        throw new CliError(`level ${l} does not exist (levels are 1..${maxLevel})`);
      out.add(l);
    }
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * Sweep progress for stderr: on a terminal, one line rewritten in place at every unit; into a file
 * or pipe, a new line at most every `everySeconds` (and at the end), so a log stays readable.
 * Returns the text to write, or null for nothing now.
 */
export function progressText(
  p: {
    done: number;
    total: number;
    /** Weighted work (runner's SweepWork): the time-left estimate uses it when given. */
    work?: { done: number; total: number; resumed: number };
    elapsedS: number;
    lastWrittenS: number | null;
  },
  isTTY: boolean,
  everySeconds = 30,
): string | null {
  // Time left from the work this process did (not what a resumed sweep found done), weighted by
  // each unit's size: counting units alone ran far short on sweeps whose last units are the largest.
  const left = timeLeftText(
    sweepTimeLeftS(p.work ?? { done: p.done, total: p.total, resumed: 0 }, p.elapsedS),
  );
  const eta = left ? `, ${left}` : '';
  const text = `${p.done}/${p.total} units, ${p.elapsedS.toFixed(0)} s${eta}`;
  if (isTTY) return `\r${text}   `;
  const due = p.lastWrittenS === null || p.elapsedS - p.lastWrittenS >= everySeconds;
  return due || p.done === p.total ? `${text}\n` : null;
}
