/**
 * TinyMathPrm: the embedded process reward model as a Verifier. One forward pass over
 * "question line, then each step followed by the tag `?` and a newline" gives every step's
 * score at once, read at the tag: p(good) / (p(good) + p(bad)) (docs/model-format.md).
 */
import type { Problem, StepScoreRequest, StepScoreResult, Verifier } from '../../engine/types';
import { arithTask } from '../../tasks/arith/arith';
import type { TinyMathExport } from './format';
import { backendLabel, formatParameterCount, type BackendSource } from './model';

/** Rows per forward pass; bounds the KV cache a call allocates. */
const PRM_BATCH = 64;

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
 * The PRM input for a solution and the index of each step's tag in it.
 * @param tag the tag character (`?`)
 */
export function prmInput(
  problem: Problem,
  steps: readonly string[],
  tag: string,
): { text: string; tagAt: number[] } {
  let text = prmQuestionLine(problem);
  const tagAt: number[] = [];
  for (const step of steps) {
    // Positions come from construction, not from searching: a step may itself contain a "?".
    text += step;
    tagAt.push([...text].length);
    text += `${tag}\n`;
  }
  return { text, tagAt };
}

export class TinyMathPrm implements Verifier {
  readonly id: string;
  readonly kind = 'prm' as const;
  readonly parameterCount: number;
  private readonly tagText: string;

  /**
   * @param model the parsed PRM export (role "prm")
   * @param source gives the current backend at each call
   */
  constructor(
    private readonly model: TinyMathExport,
    private readonly source: BackendSource,
  ) {
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
      const { text, tagAt } = prmInput(r.problem, r.steps, this.tagText);
      const ids = tokenizer.encode(text, `PRM input ${i}`);
      if (ids.length > config.nPositions) {
        throw new Error(
          `PRM input ${i} (${r.steps.length} steps) has ${ids.length} tokens; the TinyMath PRM's context is ${config.nPositions} tokens`,
        );
      }
      return { ids, tagAt, empty: r.steps.length === 0 };
    });
    const results: StepScoreResult[] = inputs.map(() => ({ stepScores: [], tokens: 0 }));
    const todo = inputs.map((_, i) => i).filter((i) => !inputs[i]!.empty);
    const backend = this.source.backend('prm');
    try {
      for (let start = 0; start < todo.length; start += PRM_BATCH) {
        if (signal?.aborted) throw abortError();
        const group = todo.slice(start, start + PRM_BATCH);
        const maxLength = Math.max(...group.map((i) => inputs[i]!.ids.length));
        const batch = await backend.createBatch(group.length, maxLength);
        try {
          const logits = await batch.prefill(
            group.map((_, r) => r),
            group.map((i) => inputs[i]!.ids),
          );
          let offset = 0;
          for (const i of group) {
            const { ids, tagAt } = inputs[i]!;
            results[i] = {
              stepScores: tagAt.map((t) => {
                const row = (offset + t) * V;
                // p(good) / (p(good) + p(bad)) is a sigmoid of the logit difference.
                return 1 / (1 + Math.exp(logits[row + bad]! - logits[row + good]!));
              }),
              tokens: ids.length,
            };
            offset += ids.length;
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
