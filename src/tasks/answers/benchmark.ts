/**
 * The machinery GSM8K and MATH-500 share: a Task over a fixed problem set that is loaded at run
 * time (fetched, never bundled), chat prompts that ask for one step per paragraph and a boxed
 * final answer, paragraph step splitting, and answer extraction and equivalence.
 */
import { Rng, deriveSeed } from '../../engine/random';
import type { Problem, Task } from '../../engine/types';
import { chatPrompt } from './chatPrompt';
import { answersEqual } from './equivalence';
import { extractBoxed, extractFinalAnswer } from './extract';
import { normalizeAnswerText } from './normalize';

/** Steps are paragraphs: the prompts ask for one step per paragraph. */
export const PARAGRAPH_DELIMITER = '\n\n';

export interface BenchmarkTaskSpec {
  id: string;
  label: string;
  levels: number;
  /** What the user's message asks for, before the problem. */
  instructions: string;
  /** The problem file, relative to the data base URL (the app's `public/` folder). */
  dataPath: string;
  /** Parse the problem file's text (JSONL) into problems. */
  parse(text: string): Problem[];
  /** Steps a solution at each level typically needs (index = level - 1), to size token caps. */
  typicalSteps: readonly number[];
}

export interface LoadOptions {
  /** Absolute URL of the folder that holds `data/` (the app's base URL). */
  baseUrl: string;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** A Task over a problem set loaded at run time, with look-ups the app needs. */
export interface BenchmarkTask extends Task {
  readonly dataPath: string;
  /** Whether the problem set is in memory (after `load` or `setProblems`). */
  isLoaded(): boolean;
  /** All problems, in file order. Empty until loaded. */
  problems(): readonly Problem[];
  /** Problems at a level, in file order. */
  problemsAt(level: number): readonly Problem[];
  /** The problem with this id (share links carry ids), or null. */
  problemById(id: string): Problem | null;
  /** Steps a solution at this level typically needs (final-answer step included). */
  typicalSteps(level: number): number;
  /** Use these problems (tests and the command line read the file themselves). */
  setProblems(problems: readonly Problem[]): void;
  /**
   * Fetch and parse the problem file once; later calls return the same promise.
   * @throws With the URL and HTTP status when the file cannot be fetched or parsed.
   */
  load(options: LoadOptions): Promise<readonly Problem[]>;
}

/** The user's message for a problem, with earlier attempts for sequential revisions. */
export function benchmarkUserMessage(
  instructions: string,
  question: string,
  previousAttempts: readonly string[] = [],
): string {
  const parts = [instructions, `Problem: ${question.trim()}`];
  const attempts = previousAttempts.slice(-4);
  if (attempts.length > 0) {
    parts.push(
      'Earlier attempts at this problem follow. They may contain mistakes.',
      ...attempts.map((a, i) => `Attempt ${i + 1}:\n${a.trim()}`),
      'Write a new, complete solution. Check the earlier attempts for mistakes and do not repeat them.',
    );
  }
  return parts.join('\n\n');
}

/** Split a solution into paragraphs (steps), without delimiters or surrounding blanks. */
export function splitParagraphs(solution: string): string[] {
  return solution
    .split(/\n[ \t]*\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parse JSONL into objects, with the line number in the error when a line is not JSON. */
export function parseJsonLines(text: string, source: string): unknown[] {
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new Error(`${source}: line ${i + 1} is not valid JSON`);
    }
  });
  return out;
}

/**
 * A BenchmarkTask from its spec, optionally with its problems already in memory.
 * @param spec Prompts, levels and the problem file of the benchmark.
 * @param problems Problems to start with (otherwise call `load` or `setProblems`).
 */
export function createBenchmarkTask(
  spec: BenchmarkTaskSpec,
  problems?: readonly Problem[],
): BenchmarkTask {
  let all: readonly Problem[] = [];
  let byId = new Map<string, Problem>();
  let byLevel = new Map<number, Problem[]>();
  let loaded = false;
  let loading: Promise<readonly Problem[]> | null = null;

  const setProblems = (list: readonly Problem[]) => {
    all = list;
    byId = new Map(list.map((p) => [p.id, p]));
    byLevel = new Map();
    for (const p of list) {
      const at = byLevel.get(p.level) ?? [];
      at.push(p);
      byLevel.set(p.level, at);
    }
    loaded = true;
  };
  if (problems) setProblems(problems);

  const task: BenchmarkTask = {
    id: spec.id,
    label: spec.label,
    levels: spec.levels,
    stepDelimiter: PARAGRAPH_DELIMITER,
    dataPath: spec.dataPath,
    formatPrompt(problem, previousAttempts = []) {
      return chatPrompt(
        benchmarkUserMessage(spec.instructions, problem.question, previousAttempts),
      );
    },
    splitSteps: splitParagraphs,
    extractAnswer: extractFinalAnswer,
    normalizeAnswer: normalizeAnswerText,
    isCorrect(problem, answer) {
      return answersEqual(answer, problem.answer);
    },
    isFinalStep(step) {
      return extractBoxed(step) !== null;
    },
    sampleProblems(level, count, seed) {
      if (!loaded) {
        throw new Error(
          `${spec.label}: problems not loaded yet (call load() with the app's base URL first)`,
        );
      }
      // A seeded shuffle, then the first `count`: deterministic in the seed, no repeats. A
      // level has a fixed number of problems, so asking for more returns them all.
      const pool = [...(byLevel.get(level) ?? [])];
      const rng = new Rng(deriveSeed(seed, level));
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [pool[i], pool[j]] = [pool[j] as Problem, pool[i] as Problem];
      }
      return pool.slice(0, Math.max(0, count));
    },
    isLoaded: () => loaded,
    problems: () => all,
    problemsAt: (level) => byLevel.get(level) ?? [],
    problemById: (id) => byId.get(id) ?? null,
    typicalSteps: (level) => spec.typicalSteps[level - 1] ?? spec.typicalSteps.at(-1) ?? 10,
    setProblems,
    load(options) {
      if (loaded) return Promise.resolve(all);
      loading ??= (async () => {
        const url = new URL(spec.dataPath, options.baseUrl).href;
        const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
        let response: Response;
        try {
          response = await fetchFn(url);
        } catch (e) {
          throw new Error(`${spec.label}: could not fetch ${url} (${String(e)})`);
        }
        if (!response.ok) throw new Error(`${spec.label}: ${url} answered ${response.status}`);
        setProblems(spec.parse(await response.text()));
        return all;
      })();
      // A failed load may be retried.
      loading.catch(() => {
        loading = null;
      });
      return loading;
    },
  };
  return task;
}
