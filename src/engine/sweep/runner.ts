/**
 * The budget-sweep runner. For each problem it samples one pool of N_max solutions (best-of-N and
 * majority at every budget come from that pool) and runs each search setting once per budget.
 * It yields result records as they finish, so a caller can persist them and resume later by
 * passing them back as `completed`; and it stops promptly when its AbortSignal fires.
 *
 * The runner knows nothing about models or strategies: it talks to a small `SweepBackend`, which
 * the app or the command line wires to `runStrategy` and a real backend.
 */
import { deriveSeed } from '../random';
import type { Costs, Selection } from '../types';
import { poolAccuracy, expectedSubsetCosts, type PoolSample } from './pool';
import { hashString } from './stats';

/** Best-of-N with one selection rule, estimated from the pool at every budget. */
export interface PoolSetting {
  kind: 'pool';
  /** Stable id, e.g. 'bon-weighted'. Used in record keys and summaries. */
  id: string;
  /** What people see, e.g. 'Best-of-N weighted'. */
  label: string;
  selection: Selection;
}

/** A search strategy setting (beam M=4, revisions 4:4, ...), run once per budget. */
export interface SearchSetting<C = unknown> {
  kind: 'search';
  id: string;
  label: string;
  /** What the backend needs to run it (for example a StrategyConfig without `n`); opaque here. */
  config: C;
  /** Smallest budget the setting can run at (beam with M=4 needs N ≥ 4). Default 1. */
  minBudget?: number;
}

export type SweepSetting<C = unknown> = PoolSetting | SearchSetting<C>;

/** One search run's result. */
export interface SearchOutcome {
  /** Normalised final answer, or null. */
  answer: string | null;
  correct: boolean;
  costs: Costs;
}

/** What the sweep needs from the outside world. */
export interface SweepBackend<P extends { id: string } = { id: string }, C = unknown> {
  /**
   * N_max complete solutions of one problem, each with its verifier score and cost.
   * @param seed derived from the sweep seed and the problem id
   */
  samplePool(problem: P, nMax: number, seed: number, signal: AbortSignal): Promise<PoolSample[]>;
  /**
   * One run of a search setting at a generation budget (the backend maps the budget to the
   * strategy's N, e.g. N = budget / (k+1) for lookahead if it counts cost that way).
   */
  runSearch(
    problem: P,
    setting: SearchSetting<C>,
    budget: number,
    seed: number,
    signal: AbortSignal,
  ): Promise<SearchOutcome>;
  /**
   * Relative cost of one generation on this problem (for example its token cap), for progress
   * and time-left estimates only. Default 1.
   */
  workWeight?(problem: P): number;
}

/** Pseudo setting id under which pools are stored. */
export const POOL_SETTING_ID = '#pool';

/** A problem's pool of N_max samples. Stored so a resumed sweep does not sample it again. */
export interface PoolRecord {
  kind: 'pool';
  problemId: string;
  nMax: number;
  seed: number;
  samples: PoolSample[];
}

/** The result of one (problem, setting, budget). */
export interface ResultRecord {
  kind: 'result';
  problemId: string;
  settingId: string;
  budget: number;
  /** Pool settings: expected accuracy over random subsets. Search settings: 1 or 0. */
  accuracy: number;
  /** Pool settings: expected cost of `budget` samples. Search settings: the run's cost. */
  costs: Costs;
  source: 'pool' | 'search';
  /** Search settings only: the run's answer and correctness. */
  answer?: string | null;
  correct?: boolean;
}

export type SweepRecord = PoolRecord | ResultRecord;

/**
 * How much of a sweep's work is done, in generations weighted by the backend's `workWeight` (a
 * pool is N_max generations, a search run its budget): units differ by more than 10x (a
 * level-7 run at N=64 against a level-1 pool at N=8), so counting units misjudges time left.
 * `resumed` is the part of `done` that an earlier, interrupted sweep did (it took no time now).
 */
export interface SweepWork {
  done: number;
  total: number;
  resumed: number;
}

/**
 * One of `count` workers' share of a sweep's problems: those at `index`, `index + count`, ...
 * (round robin, so each share spans every level). The CLI's --jobs and the app's sharded sweeps
 * split the same way.
 */
export function sweepShareOf<T>(problems: readonly T[], index: number, count: number): T[] {
  return problems.filter((_, i) => i % count === index);
}

/** Where one part of a sweep split over workers stands (its latest progress event). */
export interface SweepCounts {
  done: number;
  total: number;
  work: SweepWork;
}

/** The counts of a sweep split over workers: the sums of its parts'. */
export function sumSweepCounts(parts: readonly SweepCounts[]): SweepCounts {
  const add = (f: (p: SweepCounts) => number) => parts.reduce((n, p) => n + f(p), 0);
  return {
    done: add((p) => p.done),
    total: add((p) => p.total),
    work: {
      done: add((p) => p.work.done),
      total: add((p) => p.work.total),
      resumed: add((p) => p.work.resumed),
    },
  };
}

/**
 * Seconds left, from the work done since this process started (`elapsedS` ago), or null before
 * any was done here or when nothing is left.
 */
export function sweepTimeLeftS(work: SweepWork, elapsedS: number): number | null {
  const doneHere = work.done - work.resumed;
  if (doneHere <= 0 || work.done >= work.total) return null;
  return (elapsedS / doneHere) * (work.total - work.done);
}

/**
 * Round-robin over groups (a sweep's levels): the first of each group, then the second of each,
 * and so on. A sweep in this order meets every level early, so its time-left estimate rests on
 * all of them after one round, and a sweep stopped half-way has results on every level.
 */
export function interleave<T>(groups: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = groups.reduce((n, g) => Math.max(n, g.length), 0);
  for (let i = 0; i < longest; i++) for (const g of groups) if (i < g.length) out.push(g[i]!);
  return out;
}

/** "about 3 min left" (whole minutes, rounded up), or '' with no estimate. */
export function timeLeftText(seconds: number | null): string {
  return seconds === null ? '' : `about ${Math.max(1, Math.ceil(seconds / 60))} min left`;
}

/** Which unit of work the sweep is on. */
export interface SweepWorkItem {
  problemId: string;
  /** A search setting's id, or POOL_SETTING_ID for sampling the pool. */
  settingId: string;
  budget: number;
}

export type SweepEvent =
  | {
      type: 'progress';
      done: number;
      total: number;
      work: SweepWork;
      current: SweepWorkItem | null;
    }
  | { type: 'record'; record: SweepRecord }
  | { type: 'done'; done: number; total: number; work: SweepWork; aborted: boolean };

export interface SweepOptions<P extends { id: string } = { id: string }, C = unknown> {
  problems: readonly P[];
  /** Budgets in generations, ascending, e.g. [1, 2, 4, ..., 64]; the last one is N_max. */
  budgets: readonly number[];
  /** Settings to sweep. Their order is the preference order on ties in the compute-optimal choice. */
  settings: readonly SweepSetting<C>[];
  backend: SweepBackend<P, C>;
  seed: number;
  /** Random subsets per pool setting and budget. Default 200. */
  resamples?: number;
  /** Records from an earlier, interrupted sweep with the same problems, budgets and seed. */
  completed?: Iterable<SweepRecord>;
  signal?: AbortSignal;
}

/** The key a record is stored and looked up by: (problemId, settingId, budget). */
export function recordKey(record: SweepRecord | SweepWorkItem): string {
  if ('kind' in record && record.kind === 'pool') {
    return `${record.problemId}\u0000${POOL_SETTING_ID}\u0000${record.nMax}`;
  }
  const r = record as ResultRecord | SweepWorkItem;
  return `${r.problemId}\u0000${r.settingId}\u0000${r.budget}`;
}

/** Whether a search setting runs at a budget. */
export function settingRunsAt(setting: SweepSetting<unknown>, budget: number): boolean {
  return setting.kind === 'pool' || budget >= (setting.minBudget ?? 1);
}

function checkOptions(options: SweepOptions<{ id: string }, unknown>): void {
  const { budgets, settings, problems } = options;
  if (budgets.length === 0) throw new Error('runSweep: no budgets');
  budgets.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 1)
      throw new Error(`runSweep: budget ${b} is not a positive integer`);
    if (i > 0 && b <= (budgets[i - 1] as number))
      throw new Error('runSweep: budgets must be ascending');
  });
  const ids = new Set<string>();
  for (const s of settings) {
    if (s.id === POOL_SETTING_ID || ids.has(s.id))
      throw new Error(`runSweep: bad or repeated setting id ${s.id}`);
    ids.add(s.id);
  }
  const problemIds = new Set(problems.map((p) => p.id));
  if (problemIds.size !== problems.length) throw new Error('runSweep: problem ids must be unique');
}

class SweepAborted extends Error {
  constructor() {
    super('sweep aborted');
    this.name = 'AbortError';
  }
}

/** Resolves like `promise`, or rejects as soon as `signal` fires, whichever comes first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The backend may still settle (or reject with its own AbortError); nobody waits for it.
    promise.catch(() => {});
    return Promise.reject(new SweepAborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SweepAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Run a budget sweep, yielding progress, each new record, and a final `done` event.
 * Records in `completed` are not redone (nor yielded again). Pools are seeded per problem and
 * search runs per (problem, setting, budget), so a resumed sweep gives the same records as an
 * uninterrupted one.
 *
 * @example
 * for await (const e of runSweep({ problems, budgets: [1, 2, 4, 8], settings, backend, seed: 1 })) {
 *   if (e.type === 'record') save(e.record);
 * }
 */
export async function* runSweep<P extends { id: string }, C>(
  options: SweepOptions<P, C>,
): AsyncGenerator<SweepEvent, void> {
  checkOptions(options as SweepOptions<{ id: string }, unknown>);
  const { problems, budgets, settings, backend, seed, resamples = 200 } = options;
  const signal = options.signal ?? new AbortController().signal;
  const nMax = budgets[budgets.length - 1] as number;
  const done = new Map<string, SweepRecord>();
  for (const r of options.completed ?? []) done.set(recordKey(r), r);

  const poolSettings = settings.filter((s): s is PoolSetting => s.kind === 'pool');
  const searchSettings = settings.filter((s): s is SearchSetting<C> => s.kind === 'search');
  const searchUnits = searchSettings.reduce(
    (n, s) => n + budgets.filter((b) => settingRunsAt(s, b)).length,
    0,
  );
  const total = problems.length * (1 + searchUnits);
  let finished = 0;
  const weightOf = (problem: P): number => {
    const w = backend.workWeight?.(problem) ?? 1;
    return Number.isFinite(w) && w > 0 ? w : 1;
  };
  const searchBudgetSum = searchSettings.reduce(
    (n, s) => n + budgets.filter((b) => settingRunsAt(s, b)).reduce((a, b) => a + b, 0),
    0,
  );
  const work: SweepWork = {
    done: 0,
    total: problems.reduce((n, p) => n + weightOf(p) * (nMax + searchBudgetSum), 0),
    resumed: 0,
  };
  const snapshot = (): SweepWork => ({ ...work });
  const addWork = (amount: number, resumed: boolean): void => {
    work.done += amount;
    if (resumed) work.resumed += amount;
  };

  const stop = function* (): Generator<SweepEvent, void> {
    yield { type: 'done', done: finished, total, work: snapshot(), aborted: true };
  };

  for (const problem of problems) {
    const problemSeed = deriveSeed(seed, hashString(problem.id));
    const weight = weightOf(problem);
    // The pool: reuse a stored one of the right size, else sample it.
    const poolItem: SweepWorkItem = {
      problemId: problem.id,
      settingId: POOL_SETTING_ID,
      budget: nMax,
    };
    let pool = done.get(recordKey(poolItem)) as PoolRecord | undefined;
    const poolWasStored = pool !== undefined;
    if (!pool) {
      if (signal.aborted) return yield* stop();
      yield { type: 'progress', done: finished, total, work: snapshot(), current: poolItem };
      const poolSeed = deriveSeed(problemSeed, hashString(POOL_SETTING_ID));
      let samples: PoolSample[];
      try {
        samples = await untilAborted(backend.samplePool(problem, nMax, poolSeed, signal), signal);
      } catch (error) {
        if (signal.aborted) return yield* stop();
        throw error;
      }
      if (samples.length !== nMax) {
        throw new Error(
          `runSweep: the pool of ${problem.id} has ${samples.length} samples, expected ${nMax}`,
        );
      }
      pool = { kind: 'pool', problemId: problem.id, nMax, seed: poolSeed, samples };
      done.set(recordKey(pool), pool);
      yield { type: 'record', record: pool };
    }
    // Pool-derived results are cheap and deterministic; results stored for another pool are not reused.
    for (const setting of poolSettings) {
      for (const budget of budgets) {
        const item: SweepWorkItem = { problemId: problem.id, settingId: setting.id, budget };
        if (poolWasStored && done.has(recordKey(item))) continue;
        const record: ResultRecord = {
          kind: 'result',
          problemId: problem.id,
          settingId: setting.id,
          budget,
          accuracy: poolAccuracy(pool.samples, budget, setting.selection, {
            resamples,
            seed: deriveSeed(problemSeed, hashString(setting.id), budget),
          }),
          costs: expectedSubsetCosts(pool.samples, budget),
          source: 'pool',
        };
        done.set(recordKey(record), record);
        yield { type: 'record', record };
      }
    }
    finished++;
    addWork(weight * nMax, poolWasStored);

    for (const setting of searchSettings) {
      for (const budget of budgets) {
        if (!settingRunsAt(setting, budget)) continue;
        const item: SweepWorkItem = { problemId: problem.id, settingId: setting.id, budget };
        if (done.has(recordKey(item))) {
          finished++;
          addWork(weight * budget, true);
          continue;
        }
        if (signal.aborted) return yield* stop();
        yield { type: 'progress', done: finished, total, work: snapshot(), current: item };
        const runSeed = deriveSeed(problemSeed, hashString(setting.id), budget);
        let outcome: SearchOutcome;
        try {
          outcome = await untilAborted(
            backend.runSearch(problem, setting, budget, runSeed, signal),
            signal,
          );
        } catch (error) {
          if (signal.aborted) return yield* stop();
          throw error;
        }
        const record: ResultRecord = {
          kind: 'result',
          problemId: problem.id,
          settingId: setting.id,
          budget,
          accuracy: outcome.correct ? 1 : 0,
          costs: outcome.costs,
          source: 'search',
          answer: outcome.answer,
          correct: outcome.correct,
        };
        done.set(recordKey(record), record);
        finished++;
        addWork(weight * budget, false);
        yield { type: 'record', record };
      }
    }
  }
  yield { type: 'done', done: finished, total, work: snapshot(), aborted: false };
}
