/**
 * TinyMathModel: the embedded generator as a LanguageModel. Many prompts decode as one batch;
 * identical prompts (best-of-N) are prefilled once and forked. Sampling happens here on the
 * CPU whatever the backend, from each completion's own random stream.
 */
import { Rng, deriveSeed } from '../../engine/random';
import type {
  Completion,
  FinishReason,
  GenerateRequest,
  LanguageModel,
  ModelCapabilities,
} from '../../engine/types';
import type { BatchHandle, DecoderBackend } from './backend';
import { yieldToEventLoop } from './cpu';
import { promptPositions, type TinyMathExport } from './format';
import { PrefixCache } from './prefixCache';
import { findStop, logSumExp, sampleToken } from './sampling';

/** Which of the runtime's models a backend serves (config.json's `ttc_lab.role`). */
export type ModelRole = 'generator' | 'revision' | 'prm';

/** Where a model gets its backend; the runtime swaps it to the CPU after a GPU failure. */
export interface BackendSource {
  backend(role: ModelRole): DecoderBackend;
  /** Called with any error a backend threw; returns the error the caller should see. */
  failed(error: unknown): unknown;
}

export const MAX_STOP_STRINGS = 16;

/**
 * The step tag of a PRM that reads `?` after each step (docs/model-format.md); the generator never
 * writes it (training's samplers ban it too, so the shipped models were measured that way).
 */
export const PRM_TAG = '?';

/** "0.8M", "28K": the size in a label. */
export function formatParameterCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e5) return `${(n / 1e6).toFixed(2).replace(/0$/, '')}M`;
  return `${Math.round(n / 1e3)}K`;
}

export function backendLabel(name: 'cpu' | 'webgpu'): string {
  return name === 'cpu' ? 'CPU' : 'WebGPU';
}

/** Yield to the event loop at least this often on the CPU path, so an abort gets through. */
const YIELD_EVERY_MS = 12;
/**
 * Decode steps per decodeSampled call (one submit, one readback). A row that ends early leaves
 * the rest of the call at the cost of a dispatch whose workgroup returns at once.
 */
const SAMPLED_STEPS = 32;
/** Memory for prompts kept between calls: 4 KB a token (4 layers), so ~16-60 prompts. */
const GENERATOR_CACHE_BYTES = 16 * 2 ** 20;

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

interface RowState {
  prompt: number[];
  text: string;
  generated: number;
  logprobs: number[];
  finish: FinishReason | null;
  rng: Rng;
}

export class TinyMathModel implements LanguageModel {
  readonly id: string;
  readonly parameterCount: number;
  /** The backend it asks its source for: the export's role (a generator or a revision model). */
  readonly role: 'generator' | 'revision';
  /** Prompts of earlier calls, prefilled (prefixCache.ts). */
  readonly cache: PrefixCache;

  /**
   * @param model the parsed generator export (or revision model: the same kind of model)
   * @param source gives the current backend (CPU or WebGPU) at each call
   */
  constructor(
    private readonly model: TinyMathExport,
    private readonly source: BackendSource,
    options: { cacheBytes?: number } = {},
  ) {
    this.cache = new PrefixCache(options.cacheBytes ?? GENERATOR_CACHE_BYTES);
    this.id = model.name;
    this.parameterCount = model.config.parameters;
    if (model.config.role === 'prm')
      throw new Error(
        `${model.name}/config.json: a PRM export cannot generate (ttc_lab.role is "prm")`,
      );
    this.role = model.config.role;
  }

  /** The backend in use right now ("cpu" or "webgpu"). */
  get backendName(): 'cpu' | 'webgpu' {
    return this.source.backend(this.role).name;
  }

  get label(): string {
    const what = this.role === 'revision' ? 'TinyMath revision model' : 'TinyMath';
    return `${what} ${formatParameterCount(this.parameterCount)} (${backendLabel(this.backendName)})`;
  }

  get capabilities(): ModelCapabilities {
    return {
      batching: true,
      maxBatch: this.backendName === 'webgpu' ? 256 : 64,
      logprobs: true,
      topLogprobs: this.model.config.vocabSize,
      maxStopStrings: MAX_STOP_STRINGS,
      contextLength: this.model.config.nPositions,
    };
  }

  /**
   * Continue each prompt independently. Completion i samples from `deriveSeed(seed, i)`.
   * The text excludes `<eos>` but includes a stop string that ended it; completionTokens counts
   * every sampled token (an `<eos>` too, since it was computed). Log-probabilities are those of
   * the model's own distribution (before temperature and top-p). An abort ends every unfinished
   * completion with finishReason `aborted` and the text so far.
   * @throws Error for a prompt that does not fit the context, an empty prompt, or a character
   *   outside the vocabulary; a BackendLostError-derived error if the GPU failed mid-run
   */
  async generate(request: GenerateRequest): Promise<Completion[]> {
    return this.generateAt(
      request,
      request.prompts.map((_, i) => i),
    );
  }

  /**
   * generate() for prompts that sit at other indices of a larger request (router.ts sends part
   * of a batch here and part to another model): completion i samples from
   * `deriveSeed(seed, indices[i])`, exactly as it would at that index of a whole-batch call, and
   * errors name the prompt by that index.
   */
  async generateAt(request: GenerateRequest, indices: readonly number[]): Promise<Completion[]> {
    const { prompts, maxTokens, temperature, topP } = request;
    if (indices.length !== prompts.length)
      throw new Error(`TinyMath: ${prompts.length} prompts but ${indices.length} indices`);
    const stops = (request.stop ?? []).filter((s) => s.length > 0);
    if (stops.length > MAX_STOP_STRINGS)
      throw new Error(
        `TinyMath takes at most ${MAX_STOP_STRINGS} stop strings (got ${stops.length})`,
      );
    if (!Number.isInteger(maxTokens) || maxTokens < 0)
      throw new Error(`maxTokens must be a non-negative integer (got ${maxTokens})`);
    if (!(temperature >= 0)) throw new Error(`temperature must be >= 0 (got ${temperature})`);
    if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1] (got ${topP})`);
    const P = this.model.config.nPositions;
    const encoded = prompts.map((p, k) => {
      const i = indices[k]!;
      const ids = this.model.tokenizer.encode(p, `prompt ${i}`);
      if (ids.length === 0)
        throw new Error(`prompt ${i} is empty; TinyMath needs at least one token to start from`);
      if (ids.length >= P) {
        throw new Error(
          `prompt ${i} has ${ids.length} tokens; TinyMath's context is ${P} tokens, so it cannot continue it`,
        );
      }
      return ids;
    });
    const results = new Array<Completion>(prompts.length);
    const backend = this.source.backend(this.role);
    const longest = Math.min(P, Math.max(0, ...encoded.map((e) => e.length)) + maxTokens);
    const chunk = Math.max(1, Math.min(this.capabilities.maxBatch, backend.maxBatchSize(longest)));
    try {
      for (let start = 0; start < encoded.length; start += chunk) {
        const end = Math.min(encoded.length, start + chunk);
        await this.runChunk(backend, request, stops, encoded, indices, start, end, results);
      }
    } catch (e) {
      throw this.source.failed(e);
    }
    return results;
  }

  private async runChunk(
    backend: DecoderBackend,
    request: GenerateRequest,
    stops: readonly string[],
    encoded: readonly number[][],
    indices: readonly number[],
    start: number,
    end: number,
    results: Completion[],
  ): Promise<void> {
    const { maxTokens, temperature, topP, signal } = request;
    const { vocabSize: V, nPositions: P } = this.model.config;
    const eos = this.model.eosTokenId;
    const n = end - start;
    const rows: RowState[] = Array.from({ length: n }, (_, r) => ({
      prompt: encoded[start + r]!,
      text: '',
      generated: 0,
      logprobs: [],
      finish: null,
      rng: new Rng(deriveSeed(request.seed, indices[start + r]!)),
    }));
    const finishAll = (reason: FinishReason): void => {
      for (const s of rows) s.finish ??= reason;
    };
    const publish = (): void => {
      rows.forEach((s, r) => {
        const c: Completion = {
          text: s.text,
          finishReason: s.finish ?? 'aborted',
          promptTokens: s.prompt.length,
          completionTokens: s.generated,
        };
        if (request.logprobs) c.tokenLogprobs = s.logprobs;
        results[start + r] = c;
      });
    };
    if (maxTokens === 0) finishAll('length');
    if (signal?.aborted) finishAll('aborted');
    if (rows.every((s) => s.finish)) return publish();

    const maxLength = Math.min(P, Math.max(...rows.map((s) => s.prompt.length)) + maxTokens);
    const batch = await backend.createBatch(n, maxLength);
    try {
      // Identical prompts (best-of-N) share one prefill; the others fork its cache.
      const leaderOf = new Map<string, number>();
      const followers = new Map<number, number[]>();
      rows.forEach((s, r) => {
        const key = s.prompt.join(',');
        const leader = leaderOf.get(key);
        if (leader === undefined) {
          leaderOf.set(key, r);
          followers.set(r, []);
        } else followers.get(leader)!.push(r);
      });
      const leaders = [...followers.keys()];
      const { tokenizer } = this.model;
      const positions = leaders.map((r) =>
        promptPositions(
          rows[r]!.prompt.map((id) => tokenizer.piece(id)),
          P,
        ),
      );
      // A prompt that starts with one an earlier call prefilled (a tree search's parent plus one
      // step) loads that row and prefills only the rest; the same prompt again needs no prefill.
      const cached = this.cache.usable(backend, batch);
      const hits = leaders.map((r, k) => {
        const hit = cached ? this.cache.longest(rows[r]!.prompt, positions[k]!, Infinity) : null;
        if (hit) batch.loadRow!(r, hit.saved);
        return hit;
      });
      const from = hits.map((hit) => hit?.ids.length ?? 0);
      // A row with nothing left to feed adds no logits.
      const prefill = await batch.prefill(
        leaders,
        leaders.map((r, k) => rows[r]!.prompt.slice(from[k])),
        positions.map((p, k) => p.slice(from[k])),
      );
      const current = new Float32Array(n * V);
      let at = 0;
      for (const [k, r] of leaders.entries()) {
        const prompt = rows[r]!.prompt;
        let last: Float32Array;
        if (from[k]! < prompt.length) {
          at += prompt.length - from[k]!;
          last = prefill.slice((at - 1) * V, at * V);
          if (cached)
            this.cache.add({
              ids: prompt,
              positions: positions[k]!,
              saved: batch.saveRow!(r),
              data: last,
            });
        } else {
          last = hits[k]!.data as Float32Array;
        }
        current.set(last, r * V);
        const fs = followers.get(r)!;
        for (const f of fs) current.set(last, f * V);
        if (fs.length > 0) await batch.fork(r, fs);
      }

      // Never sampled, as in the training sampler (training/tinymath/sample.py): special tokens other
      // than <eos> (i.e. <pad>), and the PRM's tag, so that every completion is a valid PRM input.
      const tag = this.model.tokenizer.idOf(PRM_TAG);
      const banned = this.model.tokenizer.specialIds.filter((id) => id !== eos);
      if (tag !== undefined) banned.push(tag);
      const order = new Int32Array(V);
      const probs = new Float64Array(V);
      const piece = (id: number): string => this.model.tokenizer.piece(id);
      /**
       * Take a sampled token into row r's completion. `length` is the row's length in the batch
       * (the token not yet fed). True when the row goes on, i.e. the token is to be fed.
       */
      const accept = (r: number, token: number, logprob: number, length: number): boolean => {
        const s = rows[r]!;
        s.generated++;
        if (request.logprobs) s.logprobs.push(logprob);
        if (token === eos) {
          s.finish = 'eos';
          return false;
        }
        const before = s.text.length;
        s.text += piece(token);
        const stopAt = findStop(s.text, before, stops);
        if (stopAt >= 0) {
          s.text = s.text.slice(0, stopAt);
          s.finish = 'stop';
          return false;
        }
        if (s.generated >= maxTokens || length >= maxLength) {
          s.finish = 'length';
          return false;
        }
        return true;
      };
      let lastYield = now();
      for (;;) {
        if (signal?.aborted) break;
        const feedRows: number[] = [];
        const feedTokens: number[] = [];
        rows.forEach((s, r) => {
          if (s.finish) return;
          const lse = request.logprobs ? logSumExp(current, r * V, V) : 0;
          for (const id of banned) current[r * V + id] = -Infinity;
          // Nor <eos> as the first token (the training sampler's `no_empty`, with which REPORT.md
          // was measured): every caller wants an attempt or a step. After a long revision prompt the
          // level-7 generator puts about 1% on ending at once.
          if (s.generated === 0) current[r * V + eos] = -Infinity;
          const token = sampleToken(current, r * V, V, temperature, topP, s.rng, order, probs);
          if (accept(r, token, current[r * V + token]! - lse, batch.length(r))) {
            feedRows.push(r);
            feedTokens.push(token);
          }
        });
        if (feedRows.length === 0) break;
        if (batch.decodeSampled) {
          // The GPU samples too: many steps per submit, no logits read back (see decodeSampled).
          await this.sampleOnDevice(
            batch,
            request,
            rows,
            stops,
            banned,
            feedRows,
            feedTokens,
            accept,
          );
          break;
        }
        const out = await batch.step(feedRows, feedTokens);
        feedRows.forEach((r, i) => current.set(out.subarray(i * V, (i + 1) * V), r * V));
        if (backend.name === 'cpu' && now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
      if (signal?.aborted) finishAll('aborted');
      publish();
    } finally {
      batch.release();
    }
  }

  /**
   * Continue rows `feedRows` (each feeding `feedTokens[i]` first) with the batch's
   * decodeSampled until every row has finished or the run is aborted. Each returned token goes
   * through `accept` in order, as if sampled here; the rows' Rng states follow the device's draws.
   */
  private async sampleOnDevice(
    batch: BatchHandle,
    request: GenerateRequest,
    states: readonly RowState[],
    stops: readonly string[],
    banned: readonly number[],
    feedRows: readonly number[],
    feedTokens: readonly number[],
    accept: (r: number, token: number, logprob: number, length: number) => boolean,
  ): Promise<void> {
    const { tokenizer, eosTokenId: eos } = this.model;
    // One-token stop strings end a row on the device; longer ones are found by `accept`.
    const endTokens = [eos];
    for (const stop of stops) {
      const id = tokenizer.idOf(stop);
      if (id !== undefined && tokenizer.piece(id) === stop) endTokens.push(id);
    }
    let feed = feedRows.map((r, i) => ({ r, token: feedTokens[i]! }));
    while (feed.length > 0 && !request.signal?.aborted) {
      const budgets = feed.map(({ r }) => request.maxTokens - states[r]!.generated);
      const steps = Math.min(SAMPLED_STEPS, Math.max(...budgets));
      const lengths = feed.map(({ r }) => batch.length(r));
      const got = await batch.decodeSampled!({
        rows: feed.map((f) => f.r),
        tokens: feed.map((f) => f.token),
        rngStates: feed.map(({ r }) => states[r]!.rng.current),
        budgets,
        steps,
        temperature: request.temperature,
        topP: request.topP,
        banned,
        endTokens,
      });
      const next: typeof feed = [];
      feed.forEach(({ r }, i) => {
        const count = got.counts[i]!;
        let goesOn = true;
        for (let k = 0; k < count && goesOn; k++) {
          if (request.temperature > 0) states[r]!.rng.skip(1);
          const token = got.tokens[i * steps + k]!;
          goesOn = accept(r, token, got.logprobs[i * steps + k]!, lengths[i]! + k + 1);
          if (goesOn && k === count - 1) {
            if (count < steps)
              throw new Error(`TinyMath: the GPU ended row ${r} where the sampler goes on`);
            next.push({ r, token });
          }
        }
      });
      feed = next;
    }
  }
}
