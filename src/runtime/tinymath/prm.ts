/**
 * TinyMathPrm: the embedded process reward model as a Verifier. One forward pass over
 * "question line, then each step followed by the tag `?` and a newline" (or, for a PRM whose tag
 * is the newline, the solution as written) gives every step's score at once, read at the tag:
 * p(good) / (p(good) + p(bad)) (docs/model-format.md).
 */
import type { Problem, StepScoreRequest, StepScoreResult, Verifier } from '../../engine/types';
import { arithTask } from '../../tasks/arith/arith';
import type { TinyMathExport } from './format';
import { backendLabel, formatParameterCount, type BackendSource } from './model';
import { PrefixCache, type CachedPrefix } from './prefixCache';

/** Rows per forward pass; bounds the KV cache a call allocates. */
const PRM_BATCH = 64;
/**
 * Memory for rows kept between calls (prefixCache.ts). A level-7 input of ~250 tokens keeps
 * 1.5 MB (6 layers), so this holds a round of 16-20 candidates: the parents of the next round.
 */
const PRM_CACHE_BYTES = 32 * 2 ** 20;

/** The question line the PRM reads, with its newline (the generator prompt without attempts). */
export function prmQuestionLine(problem: Problem): string {
  if (problem.taskId !== arithTask.id) {
    throw new Error(
      `the TinyMath PRM only scores "${arithTask.id}" problems (got task "${problem.taskId}")`,
    );
  }
  return arithTask.formatPrompt(problem);
}

/**
 * The PRM input for a solution, the index of each step's tag in it, and where its last step
 * starts (the end of the question line without steps). Each step is followed by the tag and a
 * newline; a newline tag (format version 4) is the step's own newline, so the input is the
 * solution as the generator writes it.
 * @param tag the tag character (`?`, or `\n`)
 */
export function prmInput(
  problem: Problem,
  steps: readonly string[],
  tag: string,
): { text: string; tagAt: number[]; lastStepAt: number } {
  let text = prmQuestionLine(problem);
  const tagAt: number[] = [];
  let lastStepAt = [...text].length;
  for (const step of steps) {
    // Positions come from construction, not from searching: a step may itself contain a "?".
    lastStepAt = [...text].length;
    text += step;
    tagAt.push([...text].length);
    text += tag === '\n' ? tag : `${tag}\n`;
  }
  return { text, tagAt, lastStepAt };
}

export class TinyMathPrm implements Verifier {
  readonly id: string;
  readonly kind = 'prm' as const;
  readonly parameterCount: number;
  private readonly tagText: string;
  /** Rows of earlier calls: a tree search's parents, scored the round before their children. */
  readonly cache: PrefixCache;

  /**
   * @param model the parsed PRM export (role "prm")
   * @param source gives the current backend at each call
   * @param options.cacheBytes memory for rows kept between calls (0: none)
   */
  constructor(
    private readonly model: TinyMathExport,
    private readonly source: BackendSource,
    options: { cacheBytes?: number } = {},
  ) {
    this.cache = new PrefixCache(options.cacheBytes ?? PRM_CACHE_BYTES);
    if (!model.prmTokens)
      throw new Error(
        `${model.name}/config.json: not a PRM export (ttc_lab.role is "${model.config.role}")`,
      );
    this.id = model.name;
    this.parameterCount = model.config.parameters;
    this.tagText = model.tokenizer.piece(model.prmTokens.tag);
  }

  get label(): string {
    return `TinyMath PRM ${formatParameterCount(this.parameterCount)} (${backendLabel(this.source.backend('prm').name)})`;
  }

  /**
   * Score every step of each solution. `tokens` is the length of the PRM input read.
   * @throws Error when an input is longer than the PRM's context; an AbortError-named Error
   *   when `signal` aborts between batches
   */
  async scoreSteps(
    requests: readonly StepScoreRequest[],
    signal?: AbortSignal,
  ): Promise<StepScoreResult[]> {
    const { tokenizer, config } = this.model;
    const { good, bad } = this.model.prmTokens!;
    const V = config.vocabSize;
    const inputs = requests.map((r, i) => {
      const { text, tagAt, lastStepAt } = prmInput(r.problem, r.steps, this.tagText);
      const ids = tokenizer.encode(text, `PRM input ${i}`);
      if (ids.length > config.nPositions) {
        throw new Error(
          `PRM input ${i} (${r.steps.length} steps) has ${ids.length} tokens; the TinyMath PRM's context is ${config.nPositions} tokens`,
        );
      }
      // Everything before the last step is shared with the requests that differ only there.
      // (Character i is token i, as for tagAt.)
      return { ids, tagAt, empty: r.steps.length === 0, prefixLen: lastStepAt };
    });
    const results: StepScoreResult[] = inputs.map(() => ({ stepScores: [], tokens: 0 }));
    // Requests that differ only in their last step (a beam search's candidates from one parent)
    // share the rest: it is prefilled once, in one row, and forked to the others, so each row
    // prefills only its last step. The logits are the same as one prefill of the whole input
    // (the CPU path sums every row and position in the same order however a prefill is split).
    // `tokens` stays the input's length: the cost model does not depend on this sharing.
    const groups = new Map<string, number[]>();
    for (const [i, input] of inputs.entries()) {
      if (input.empty) continue;
      const key = input.ids.slice(0, input.prefixLen).join(',');
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    }
    const batches: number[][][] = [];
    let current: number[][] = [];
    let rows = 0;
    for (const group of groups.values()) {
      for (let at = 0; at < group.length; at += PRM_BATCH) {
        const part = group.slice(at, at + PRM_BATCH);
        if (rows + part.length > PRM_BATCH) {
          batches.push(current);
          current = [];
          rows = 0;
        }
        current.push(part);
        rows += part.length;
      }
    }
    if (current.length > 0) batches.push(current);

    const backend = this.source.backend('prm');
    const score = (logits: Float32Array, row: number): number =>
      // p(good) / (p(good) + p(bad)) is a sigmoid of the logit difference.
      1 / (1 + Math.exp(logits[row * V + bad]! - logits[row * V + good]!));
    let room = this.cache.maxBytes;
    try {
      for (const batchGroups of batches) {
        if (signal?.aborted) throw abortError();
        const members = batchGroups.flat();
        const maxLength = Math.max(...members.map((i) => inputs[i]!.ids.length));
        const batch = await backend.createBatch(members.length, maxLength);
        try {
          // Row r holds members[r]; each group's first row prefills the shared part, or loads
          // as much of it as an earlier call left in the cache.
          const cached = this.cache.usable(backend, batch);
          const firstRows: number[] = [];
          const hits: (CachedPrefix | null)[] = [];
          let r = 0;
          for (const group of batchGroups) {
            const { ids, prefixLen } = inputs[group[0]!]!;
            const hit = cached ? this.cache.longest(ids, null, prefixLen) : null;
            if (hit) batch.loadRow!(r, hit.saved);
            firstRows.push(r);
            hits.push(hit);
            r += group.length;
          }
          // A group whose shared part is all in the cache adds no logits.
          const shared = await batch.prefill(
            firstRows,
            batchGroups.map((g, k) =>
              inputs[g[0]!]!.ids.slice(hits[k]?.ids.length ?? 0, inputs[g[0]!]!.prefixLen),
            ),
          );
          for (const [k, group] of batchGroups.entries()) {
            if (group.length > 1)
              await batch.fork(
                firstRows[k]!,
                group.slice(1).map((_, j) => firstRows[k]! + 1 + j),
              );
          }
          const rest = await batch.prefill(
            members.map((_, row) => row),
            members.map((i) => inputs[i]!.ids.slice(inputs[i]!.prefixLen)),
          );
          // Offsets of each group's shared logits and of each row's own.
          let sharedAt = 0;
          let restAt = 0;
          let row = 0;
          for (const [k, group] of batchGroups.entries()) {
            const prefixLen = inputs[group[0]!]!.prefixLen;
            const hit = hits[k];
            const from = hit?.ids.length ?? 0;
            for (const i of group) {
              const { ids, tagAt } = inputs[i]!;
              // The score at every position, so a later call that loads this row has them all.
              const scores = new Float64Array(ids.length);
              if (hit) scores.set(hit.data.subarray(0, from));
              for (let t = from; t < prefixLen; t++) scores[t] = score(shared, sharedAt + t - from);
              for (let t = prefixLen; t < ids.length; t++)
                scores[t] = score(rest, restAt + t - prefixLen);
              results[i] = { stepScores: tagAt.map((t) => scores[t]!), tokens: ids.length };
              // Past the cache's size, rows saved now would only push out those just saved.
              const rowBytes = 8 * config.nLayer * config.nEmbd * ids.length;
              if (cached && rowBytes <= room) {
                room -= rowBytes;
                this.cache.add({ ids, positions: null, saved: batch.saveRow!(row), data: scores });
              }
              restAt += ids.length - prefixLen;
              row++;
            }
            sharedAt += prefixLen - from;
          }
        } finally {
          batch.release();
        }
      }
    } catch (e) {
      throw this.source.failed(e);
    }
    return results;
  }
}

function abortError(): Error {
  const e = new Error('PRM scoring was aborted');
  e.name = 'AbortError';
  return e;
}
