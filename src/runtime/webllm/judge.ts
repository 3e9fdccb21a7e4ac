/**
 * LLM-as-judge PRM on WebLLM: a chat model (the generator itself, or a second one) is asked
 * whether the latest step of a solution is correct, and the step's score is
 * P(yes) / (P(yes) + P(no)) read from the first answer token's top log-probabilities.
 */
import type { Problem, StepScoreRequest, StepScoreResult, Verifier } from '../../engine/types';
import type { WebLLMCompletionsApi } from './api';
import {
  speedReport,
  WEBLLM_MAX_TOP_LOGPROBS,
  type WebLLMModelInfo,
  type WebLLMSpeedReport,
} from './model';
import type { CompletionCreateParamsNonStreaming } from './protocol';
import { CHAT_TEMPLATES } from './templates';

export const JUDGE_SYSTEM_PROMPT =
  'You are a careful math teacher who checks solutions step by step.';

/** The judge's question about the last of `steps`. */
export function judgeUserMessage(question: string, steps: readonly string[]): string {
  const k = steps.length;
  const listed = steps.map((s, i) => `Step ${i + 1}:\n${s.trim()}`).join('\n\n');
  return (
    `Here is a math problem and the first ${k} step${k === 1 ? '' : 's'} of a solution.\n\n` +
    `Problem:\n${question.trim()}\n\n${listed}\n\n` +
    `Is step ${k} correct? It is correct when its reasoning and arithmetic are right and it ` +
    'follows from the problem and the earlier steps. Answer with one word: Yes or No.'
  );
}

/** A top-log-probability entry as WebLLM returns it. */
export interface TopLogprob {
  token: string;
  logprob: number;
}

function answerWord(token: string): 'yes' | 'no' | null {
  const w = token
    .trim()
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  return w === 'yes' ? 'yes' : w === 'no' ? 'no' : null;
}

/**
 * The judge's score from the first answer token's alternatives: P(yes) / (P(yes) + P(no)),
 * summing every spelling ("Yes", " yes", "YES"...). When neither word is among the
 * alternatives the judge said nothing either way, and the score is 0.5.
 */
export function judgeScoreFromTopLogprobs(top: readonly TopLogprob[]): {
  score: number;
  pYes: number;
  pNo: number;
} {
  let pYes = 0;
  let pNo = 0;
  for (const t of top) {
    const word = answerWord(t.token);
    if (word === 'yes') pYes += Math.exp(t.logprob);
    else if (word === 'no') pNo += Math.exp(t.logprob);
  }
  const total = pYes + pNo;
  return { score: total > 0 ? pYes / total : 0.5, pYes, pNo };
}

export interface WebLLMJudgeOptions {
  api: WebLLMCompletionsApi;
  /** The judging model (may be the generator's). */
  info: WebLLMModelInfo;
  systemPrompt?: string;
  onSpeed?: (report: WebLLMSpeedReport) => void;
  /** Prefix scores kept, so search strategies re-scoring a path pay only for its new step. */
  cacheSize?: number;
}

export class WebLLMJudge implements Verifier {
  readonly id: string;
  readonly label: string;
  readonly kind = 'judge' as const;
  readonly parameterCount: number;
  private readonly options: WebLLMJudgeOptions;
  private readonly cache = new Map<string, number>();

  constructor(options: WebLLMJudgeOptions) {
    this.options = options;
    this.id = `judge:webllm:${options.info.modelId}`;
    this.label = `${options.info.label} as judge (LLM-as-judge PRM)`;
    this.parameterCount = options.info.parameterCount;
  }

  /** The exact WebLLM request that judges the last of `steps`. */
  requestFor(problem: Problem, steps: readonly string[]): CompletionCreateParamsNonStreaming {
    const template = CHAT_TEMPLATES[this.options.info.template];
    return {
      prompt: template.render({
        system: this.options.systemPrompt ?? JUDGE_SYSTEM_PROMPT,
        user: judgeUserMessage(problem.question, steps),
        assistantPrefix: '',
      }),
      max_tokens: 1,
      // The probabilities WebLLM reports are after temperature scaling and penalties, so both
      // stay neutral to read the model's own belief.
      temperature: 1,
      top_p: 1,
      repetition_penalty: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      logprobs: true,
      top_logprobs: WEBLLM_MAX_TOP_LOGPROBS,
      seed: 0,
    };
  }

  async scoreSteps(
    requests: readonly StepScoreRequest[],
    signal?: AbortSignal,
  ): Promise<StepScoreResult[]> {
    const results: StepScoreResult[] = [];
    for (const { problem, steps } of requests) {
      const stepScores: number[] = [];
      let tokens = 0;
      for (let i = 0; i < steps.length; i++) {
        const prefix = steps.slice(0, i + 1);
        const key = `${problem.id}\u0000${problem.question}\u0000${prefix.join('\u0001')}`;
        const cached = this.cache.get(key);
        if (cached !== undefined) {
          stepScores.push(cached);
          continue;
        }
        signal?.throwIfAborted();
        const response = await this.options.api.complete(this.requestFor(problem, prefix), signal);
        signal?.throwIfAborted();
        if (!response) throw new DOMException('Judge interrupted', 'AbortError');
        const top = response.choices[0]?.logprobs?.content?.[0]?.top_logprobs;
        if (!top) {
          throw new Error(`${this.label}: WebLLM returned no log-probabilities for the judge`);
        }
        const { score } = judgeScoreFromTopLogprobs(top);
        tokens += (response.usage?.prompt_tokens ?? 0) + (response.usage?.completion_tokens ?? 0);
        this.remember(key, score);
        stepScores.push(score);
        this.options.onSpeed?.(speedReport(this.options.info.modelId, 'judge', response));
      }
      results.push({ stepScores, tokens });
    }
    return results;
  }

  private remember(key: string, score: number): void {
    this.cache.set(key, score);
    const limit = this.options.cacheSize ?? 4000;
    while (this.cache.size > limit) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
