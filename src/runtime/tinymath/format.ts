/**
 * The TinyMath export (docs/model-format.md): config.json, tokenizer.json and model.safetensors,
 * parsed and checked against each other. Nothing here touches the network, the disk or a GPU, so
 * the browser loader, the Node loader and the tests all share it.
 */
import { confidenceFeatureCount, type ConfidenceInput, type TinyMathConfig } from './backend';
import { ModelFormatError, parseSafetensors, type Tensor } from './safetensors';

export { ModelFormatError };

/**
 * The export format versions this runtime reads (`ttc_lab.format_version`). Version 2 added the
 * revision prompt's position layout (`promptPositions`); version 3 the PRM's generator-confidence
 * input (`ttc_lab.confidence`), which a version-2 runtime would silently ignore; version 4 that
 * input's running sum (`ttc_lab.confidence.running_sum`) and the PRM's newline tag
 * (`ttc_lab.prm.tag`). An export states the lowest version that reads it, so a model with
 * neither stays version 3.
 */
export const SUPPORTED_FORMAT_VERSIONS: readonly number[] = [3, 4];

/** A line holding only this closes an earlier attempt in a revision prompt (src/tasks/arith). */
const SEPARATOR_LINE = '-';

/** Where a revision prompt's earlier attempts start counting (docs/model-format.md, "Positions"). */
export const EARLIER_ATTEMPTS_POSITION = 320;

/**
 * Where a prompt's earlier attempts end: the index just past the last separator line (a `-`
 * line that closes an earlier attempt, at the start of the prompt or of a line, followed by a
 * newline), or 0 for a plain prompt. `pieces` is one string per token (for TinyMath's character
 * tokenizer, the prompt's characters). promptPositions counts the question from here, and the
 * bundle's generator sends exactly the prompts with a non-zero end to the revision model.
 */
export function earlierAttemptsEnd(pieces: readonly string[]): number {
  let last = 0;
  for (let i = 0; i + 1 < pieces.length; i++) {
    if (
      pieces[i] === SEPARATOR_LINE &&
      pieces[i + 1] === '\n' &&
      (i === 0 || pieces[i - 1] === '\n')
    )
      last = i + 2;
  }
  return last;
}

/** Whether a prompt holds an earlier attempt (a revision prompt): earlierAttemptsEnd > 0. */
export function isRevisionPrompt(pieces: readonly string[]): boolean {
  return earlierAttemptsEnd(pieces) > 0;
}

/**
 * Position ids of a prompt, given as one string per token (docs/model-format.md, "Positions";
 * training/tinymath/data.py `prompt_positions` is the same rule). A plain prompt counts 0, 1,
 * 2, ... In a revision prompt (earlier attempts, each closed by a separator line, then the
 * question line) the question and whatever follows it count from 0, so the new attempt sits
 * exactly where a fresh sample would, and the earlier attempts before it count on from
 * EARLIER_ATTEMPTS_POSITION (less if they are too long to fit below `nPositions`), apart from
 * every position a plain problem uses. Tokens generated after the prompt continue from its last
 * position.
 */
export function promptPositions(pieces: readonly string[], nPositions = 1024): number[] {
  const last = earlierAttemptsEnd(pieces);
  const base = Math.min(EARLIER_ATTEMPTS_POSITION, nPositions - last);
  return pieces.map((_, i) => (i < last ? base + i : i - last));
}

export interface LayerWeights {
  ln1Weight: Float32Array;
  ln1Bias: Float32Array;
  /** [D, 3D], q|k|v along the output axis. */
  attnWeight: Float32Array;
  attnBias: Float32Array;
  /** [D, D] */
  attnProjWeight: Float32Array;
  attnProjBias: Float32Array;
  ln2Weight: Float32Array;
  ln2Bias: Float32Array;
  /** [D, 4D] */
  fcWeight: Float32Array;
  fcBias: Float32Array;
  /** [4D, D] */
  mlpProjWeight: Float32Array;
  mlpProjBias: Float32Array;
}

/** Float32 weights laid out as stored: linear layers are [in, out] (GPT-2's Conv1D). */
export interface TinyMathWeights {
  /** [V, D], also the (tied) output projection. */
  wte: Float32Array;
  /** [P, D] */
  wpe: Float32Array;
  layers: LayerWeights[];
  lnFWeight: Float32Array;
  lnFBias: Float32Array;
  /** Present when the config has a confidence input. */
  confidence?: ConfidenceWeights | null;
}

/** The generator-confidence input's tensors (docs/model-format.md, "Generator confidence"). */
export interface ConfidenceWeights {
  /** LayerNorm before the base's output projection (transformer.ln_conf). */
  lnWeight: Float32Array;
  lnBias: Float32Array;
  /** [2, D] (transformer.conf.weight) */
  weight: Float32Array;
  /** [D] */
  bias: Float32Array;
}

/** The PRM's judgement tokens (`ttc_lab.prm`), as token ids. */
export interface PrmTokens {
  tag: number;
  good: number;
  bad: number;
}

export interface TinyMathExport {
  /** Folder name, e.g. `tinymath-gen`; used in error messages. */
  name: string;
  config: TinyMathConfig;
  tokenizer: CharTokenizer;
  weights: TinyMathWeights;
  eosTokenId: number;
  /** Present when `config.role` is `prm` (null for a generator or a revision model). */
  prmTokens: PrmTokens | null;
}

/**
 * The TinyMath tokenizer: a Hugging Face BPE model with no merges, i.e. one token per character,
 * plus special tokens (`<pad>`, `<eos>`) that never appear in text.
 */
export class CharTokenizer {
  /** Token text by id; special tokens map to ''. */
  private readonly pieces: string[];
  private readonly ids: Map<string, number>;
  readonly vocabSize: number;
  /** Ids of special tokens (`<pad>`, `<eos>`): they never appear in text. */
  readonly specialIds: readonly number[];

  constructor(vocab: Record<string, number>, specialTokens: readonly string[], file: string) {
    const size = Math.max(...Object.values(vocab)) + 1;
    this.pieces = new Array<string>(size).fill('');
    this.ids = new Map();
    const special = new Set(specialTokens);
    const specialIds: number[] = [];
    for (const [piece, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || id < 0)
        throw new ModelFormatError(`${file}: token "${piece}" has a bad id ${id}`);
      if (special.has(piece)) {
        specialIds.push(id);
        continue;
      }
      if ([...piece].length !== 1) {
        throw new ModelFormatError(
          `${file}: token "${piece}" is longer than one character; only character vocabularies are supported`,
        );
      }
      this.pieces[id] = piece;
      this.ids.set(piece, id);
    }
    this.vocabSize = size;
    this.specialIds = specialIds.sort((a, b) => a - b);
  }

  /** Token id of one character, or undefined. */
  idOf(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  /**
   * Token ids of a text.
   * @param what names the text in the error for a character outside the vocabulary
   */
  encode(text: string, what = 'text'): number[] {
    const out: number[] = [];
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new Error(
          `TinyMath cannot read ${JSON.stringify(ch)} in the ${what}: it is not in the vocabulary`,
        );
      }
      out.push(id);
    }
    return out;
  }

  /** Text of one token ('' for special tokens). */
  piece(id: number): string {
    return this.pieces[id] ?? '';
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.piece(id)).join('');
  }
}

function asObject(x: unknown, file: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ModelFormatError(`${file}: expected a JSON object`);
  return x as Record<string, unknown>;
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return asObject(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

function positiveInt(c: Record<string, unknown>, key: string, file: string): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFormatError(
      `${file}: "${key}" must be a positive integer (got ${JSON.stringify(v)})`,
    );
  }
  return v;
}

/** Count the parameters the config implies (tied output embedding counted once). */
export function countParameters(
  c: Pick<TinyMathConfig, 'vocabSize' | 'nPositions' | 'nEmbd' | 'nLayer'>,
): number {
  const d = c.nEmbd;
  const perLayer =
    2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);
  return c.vocabSize * d + c.nPositions * d + c.nLayer * perLayer + 2 * d;
}

export interface ParsedConfig {
  /** Its confidence input has no `runningSum` yet: parseExport adds it with the token ids. */
  config: TinyMathConfig;
  eosTokenId: number;
  prm: { tag: string; good: string; bad: string } | null;
  /** ttc_lab.confidence.running_sum, its tokens as strings (format version 4). */
  runningSum: { after: string; skip: string; scale: number } | null;
}

/** Parse and check config.json. @param file the name to use in errors */
export function parseConfig(text: string, file: string): ParsedConfig {
  const c = parseJson(text, file);
  const act = c['activation_function'];
  if (act !== undefined && act !== 'gelu_new') {
    throw new ModelFormatError(
      `${file}: activation_function is ${JSON.stringify(act)}; TinyMath uses gelu_new`,
    );
  }
  const ttc = asObject(c['ttc_lab'] ?? null, `${file} (ttc_lab block)`);
  const version = ttc['format_version'];
  if (typeof version !== 'number' || !SUPPORTED_FORMAT_VERSIONS.includes(version)) {
    throw new ModelFormatError(
      `${file}: ttc_lab.format_version is ${JSON.stringify(version)}; this runtime reads versions ${SUPPORTED_FORMAT_VERSIONS.join(' and ')}`,
    );
  }
  const role = ttc['role'];
  if (role !== 'generator' && role !== 'prm' && role !== 'revision') {
    throw new ModelFormatError(
      `${file}: ttc_lab.role must be "generator", "revision" or "prm" (got ${JSON.stringify(role)})`,
    );
  }
  const eps = c['layer_norm_epsilon'] ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0))
    throw new ModelFormatError(`${file}: layer_norm_epsilon must be a positive number`);
  const shape = {
    vocabSize: positiveInt(c, 'vocab_size', file),
    nPositions: positiveInt(c, 'n_positions', file),
    nEmbd: positiveInt(c, 'n_embd', file),
    nLayer: positiveInt(c, 'n_layer', file),
    nHead: positiveInt(c, 'n_head', file),
  };
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new ModelFormatError(
      `${file}: n_embd (${shape.nEmbd}) is not a multiple of n_head (${shape.nHead})`,
    );
  }
  const stated = ttc['parameters'];
  const config: TinyMathConfig = {
    ...shape,
    layerNormEpsilon: eps,
    role,
    parameters: typeof stated === 'number' && stated > 0 ? stated : countParameters(shape),
  };
  const conf = ttc['confidence'];
  let runningSum: ParsedConfig['runningSum'] = null;
  if (role === 'revision') {
    // A revision model is a generator of revision prompts: the generator's tensors and shape
    // rules, and nothing of the PRM's (its kernels are the generator's, webgpu.ts).
    for (const key of ['prm', 'confidence'] as const) {
      const v = ttc[key];
      if (v !== undefined && v !== null)
        throw new ModelFormatError(
          `${file}: a revision export has no ttc_lab.${key} block (got ${JSON.stringify(v)}); it must be null or absent`,
        );
    }
  }
  if (conf !== undefined && conf !== null) {
    const o = asObject(conf, `${file} (ttc_lab.confidence)`);
    const afterLayer = o['after_layer'];
    const floor = o['floor'];
    if (
      typeof afterLayer !== 'number' ||
      !Number.isInteger(afterLayer) ||
      afterLayer < 1 ||
      afterLayer >= shape.nLayer ||
      typeof floor !== 'number' ||
      !Number.isFinite(floor)
    ) {
      throw new ModelFormatError(
        `${file}: ttc_lab.confidence must give "after_layer" (an integer from 1 to n_layer - 1 = ${shape.nLayer - 1}) and a finite "floor" (got ${JSON.stringify(conf)})`,
      );
    }
    config.confidence = { afterLayer, floor } satisfies ConfidenceInput;
    const sum = o['running_sum'];
    if (sum !== undefined && sum !== null) {
      if (version < 4)
        throw new ModelFormatError(
          `${file}: ttc_lab.confidence.running_sum needs format_version 4 (the file says ${version})`,
        );
      const r = asObject(sum, `${file} (ttc_lab.confidence.running_sum)`);
      const { after, skip, scale } = r;
      if (
        typeof after !== 'string' ||
        typeof skip !== 'string' ||
        typeof scale !== 'number' ||
        !Number.isFinite(scale)
      ) {
        throw new ModelFormatError(
          `${file}: ttc_lab.confidence.running_sum must give "after" and "skip" tokens (strings) and a finite "scale" (got ${JSON.stringify(sum)})`,
        );
      }
      runningSum = { after, skip, scale };
    }
  }
  const eos = c['eos_token_id'];
  let prm: ParsedConfig['prm'] = null;
  if (role === 'prm') {
    const p = asObject(ttc['prm'] ?? null, `${file} (ttc_lab.prm)`);
    const tag = p['tag'];
    const good = p['good'];
    const bad = p['bad'];
    if (typeof tag !== 'string' || typeof good !== 'string' || typeof bad !== 'string') {
      throw new ModelFormatError(`${file}: ttc_lab.prm must give "tag", "good" and "bad" strings`);
    }
    if (tag === '\n' && version < 4)
      throw new ModelFormatError(
        `${file}: a PRM whose ttc_lab.prm.tag is the newline needs format_version 4 (the file says ${version})`,
      );
    prm = { tag, good, bad };
  }
  return { config, eosTokenId: typeof eos === 'number' ? eos : 1, prm, runningSum };
}

/** Parse tokenizer.json (a BPE model with no merges). @param file the name to use in errors */
export function parseTokenizer(text: string, file: string): CharTokenizer {
  const t = parseJson(text, file);
  const model = asObject(t['model'] ?? null, `${file} (model)`);
  if (model['type'] !== 'BPE')
    throw new ModelFormatError(
      `${file}: model.type must be "BPE" (got ${JSON.stringify(model['type'])})`,
    );
  const merges = model['merges'];
  if (Array.isArray(merges) && merges.length > 0) {
    throw new ModelFormatError(
      `${file}: has ${merges.length} merges; TinyMath's tokenizer is one token per character`,
    );
  }
  const vocab = asObject(model['vocab'] ?? null, `${file} (model.vocab)`) as Record<string, number>;
  const added = Array.isArray(t['added_tokens']) ? (t['added_tokens'] as unknown[]) : [];
  const special = added
    .map((a) =>
      typeof a === 'object' && a !== null ? (a as { content?: unknown }).content : undefined,
    )
    .filter((s): s is string => typeof s === 'string');
  return new CharTokenizer(vocab, special, file);
}

/** Shapes every export must have, by GPT-2 tensor name. */
export function expectedShapes(c: TinyMathConfig): Map<string, number[]> {
  const d = c.nEmbd;
  const m = new Map<string, number[]>([
    ['transformer.wte.weight', [c.vocabSize, d]],
    ['transformer.wpe.weight', [c.nPositions, d]],
    ['transformer.ln_f.weight', [d]],
    ['transformer.ln_f.bias', [d]],
  ]);
  for (let i = 0; i < c.nLayer; i++) {
    const p = `transformer.h.${i}.`;
    m.set(`${p}ln_1.weight`, [d]);
    m.set(`${p}ln_1.bias`, [d]);
    m.set(`${p}attn.c_attn.weight`, [d, 3 * d]);
    m.set(`${p}attn.c_attn.bias`, [3 * d]);
    m.set(`${p}attn.c_proj.weight`, [d, d]);
    m.set(`${p}attn.c_proj.bias`, [d]);
    m.set(`${p}ln_2.weight`, [d]);
    m.set(`${p}ln_2.bias`, [d]);
    m.set(`${p}mlp.c_fc.weight`, [d, 4 * d]);
    m.set(`${p}mlp.c_fc.bias`, [4 * d]);
    m.set(`${p}mlp.c_proj.weight`, [4 * d, d]);
    m.set(`${p}mlp.c_proj.bias`, [d]);
  }
  if (c.confidence) {
    m.set('transformer.ln_conf.weight', [d]);
    m.set('transformer.ln_conf.bias', [d]);
    m.set('transformer.conf.weight', [confidenceFeatureCount(c.confidence), d]);
    m.set('transformer.conf.bias', [d]);
  }
  return m;
}

/**
 * Check the tensors against the config and gather them into TinyMathWeights.
 * @param file the safetensors file's name, for errors
 */
export function buildWeights(
  tensors: Map<string, Tensor>,
  config: TinyMathConfig,
  file: string,
): TinyMathWeights {
  for (const [name, shape] of expectedShapes(config)) {
    const t = tensors.get(name);
    if (!t)
      throw new ModelFormatError(
        `${file}: tensor "${name}" is missing (expected shape [${shape.join(',')}])`,
      );
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}] from config.json`,
      );
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!))
        throw new ModelFormatError(
          `${file}: tensor "${name}" holds a non-finite value at index ${i}`,
        );
    }
  }
  const get = (name: string): Float32Array => tensors.get(name)!.data;
  return {
    wte: get('transformer.wte.weight'),
    wpe: get('transformer.wpe.weight'),
    lnFWeight: get('transformer.ln_f.weight'),
    lnFBias: get('transformer.ln_f.bias'),
    confidence: config.confidence
      ? {
          lnWeight: get('transformer.ln_conf.weight'),
          lnBias: get('transformer.ln_conf.bias'),
          weight: get('transformer.conf.weight'),
          bias: get('transformer.conf.bias'),
        }
      : null,
    layers: Array.from({ length: config.nLayer }, (_, i) => {
      const p = `transformer.h.${i}.`;
      return {
        ln1Weight: get(`${p}ln_1.weight`),
        ln1Bias: get(`${p}ln_1.bias`),
        attnWeight: get(`${p}attn.c_attn.weight`),
        attnBias: get(`${p}attn.c_attn.bias`),
        attnProjWeight: get(`${p}attn.c_proj.weight`),
        attnProjBias: get(`${p}attn.c_proj.bias`),
        ln2Weight: get(`${p}ln_2.weight`),
        ln2Bias: get(`${p}ln_2.bias`),
        fcWeight: get(`${p}mlp.c_fc.weight`),
        fcBias: get(`${p}mlp.c_fc.bias`),
        mlpProjWeight: get(`${p}mlp.c_proj.weight`),
        mlpProjBias: get(`${p}mlp.c_proj.bias`),
      };
    }),
  };
}

/** The three files of one export, as fetched or read from disk. */
export interface ExportFiles {
  /** Folder name, e.g. `tinymath-gen`. */
  name: string;
  config: string;
  tokenizer: string;
  safetensors: ArrayBuffer | Uint8Array;
}

/** Files every export folder holds (golden.json is for tests only and not loaded by the app). */
export const EXPORT_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;

/**
 * Parse and cross-check one export.
 * @param expectedRole when given, an export of the other role is an error (a swapped folder)
 */
export function parseExport(
  files: ExportFiles,
  expectedRole?: TinyMathConfig['role'],
): TinyMathExport {
  const cfgFile = `${files.name}/config.json`;
  const tokFile = `${files.name}/tokenizer.json`;
  const stFile = `${files.name}/model.safetensors`;
  const { config, eosTokenId, prm, runningSum } = parseConfig(files.config, cfgFile);
  if (expectedRole && config.role !== expectedRole) {
    throw new ModelFormatError(
      `${cfgFile}: ttc_lab.role is "${config.role}", expected "${expectedRole}"`,
    );
  }
  const tokenizer = parseTokenizer(files.tokenizer, tokFile);
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new ModelFormatError(
      `${tokFile}: has ${tokenizer.vocabSize} tokens but ${cfgFile} says vocab_size=${config.vocabSize}`,
    );
  }
  const id = (s: string, what: string): number => {
    const v = tokenizer.idOf(s);
    if (v === undefined)
      throw new ModelFormatError(`${cfgFile}: ${what} ${JSON.stringify(s)} is not in ${tokFile}`);
    return v;
  };
  if (runningSum && config.confidence) {
    const what = 'running_sum token';
    config.confidence = {
      ...config.confidence,
      runningSum: {
        after: id(runningSum.after, what),
        skip: id(runningSum.skip, what),
        scale: runningSum.scale,
      },
    };
  }
  const weights = buildWeights(parseSafetensors(files.safetensors, stFile), config, stFile);
  let prmTokens: PrmTokens | null = null;
  if (prm) {
    const what = 'PRM token';
    prmTokens = { tag: id(prm.tag, what), good: id(prm.good, what), bad: id(prm.bad, what) };
  }
  return { name: files.name, config, tokenizer, weights, eosTokenId, prmTokens };
}
