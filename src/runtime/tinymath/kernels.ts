/**
 * WGSL for the TinyMath forward pass, generated per model shape (sizes become constants).
 * f32 only: no `shader-f16` needed.
 *
 * One workgroup owns one (row, cache slot) job and keeps its activations in workgroup memory.
 * The position id that selects the position embedding is part of the job: it equals the slot
 * except in a revision prompt, whose earlier attempts reuse positions (docs/model-format.md).
 * A model of ~1M parameters is bound by latency, not arithmetic: the number of dispatches, and
 * within one, the longest chain of dependent loads and barriers of any thread. So:
 * - `decode` runs the WHOLE model for one new token per row in ONE dispatch. That is legal
 *   because a row's attention only reads its own cache, which this same workgroup writes
 *   (earlier positions in earlier steps, this position just before, behind a storageBarrier).
 * - `lay_*` (the layered decode, which the runtime uses for a generator on a real GPU) split the
 *   same step into 4 dispatches per layer and one for the head, each over many workgroups per
 *   row; see the section's comment below.
 * - `prefill_a` / `prefill_b` split each layer at the attention: a prompt's positions attend to
 *   each other's keys, written by other workgroups, so a dispatch boundary is needed there
 *   (2 dispatches per layer, any number of positions per row).
 * - A model with the generator-confidence input (docs/model-format.md) adds three dispatches
 *   between two layers: `conf_logits` (the base's logits at every job, into the logits buffer
 *   as scratch), `conf_inject` (each job reads its row's previous position: the job before it,
 *   or `lastz`, the row's logits kept from an earlier call) and `conf_keep` (the last job of each
 *   row saves its logits to `lastz`); with the running sum (format version 4) a fourth,
 *   `conf_sum`, between the last two. Such a model decodes through the prefill kernels.
 */
import { confidenceFeatureCount, keptFloatsPerRow, type TinyMathConfig } from './backend';

/**
 * Threads per workgroup; a power of two for the tree reductions. The default; the benchmark
 * compiles others (`WebGpuBackend.create`'s `workgroup`) to compare them on a real GPU.
 */
export const WORKGROUP = 128;

/** The workgroup copies of the job and of its sampler state (vec4<u32> each), in 4-byte words. */
const JOB_FLOATS = 8;

/**
 * The sampler buffer of `decode_sample`, in u32 words: a header (temperature and top-p as f32
 * bits, the word where the outputs start), one flag word per token (SAMPLER_BANNED,
 * SAMPLER_END), then SAMPLER_JOB_WORDS per job (row, cache slot, token to feed, position id;
 * Rng state, tokens it may still sample, ended, steps run this call), then the outputs: for
 * step s and job j, words 2 (s x jobs + j) and + 1 hold the sampled token and its log-probability.
 */
export const SAMPLER_HEADER_WORDS = 4;
export const SAMPLER_JOB_WORDS = 8;
export const SAMPLER_BANNED = 1;
export const SAMPLER_END = 2;
/** decode_sample keeps a row's probabilities in private arrays of the vocabulary's size. */
export const SAMPLER_MAX_VOCAB = 256;
/** Binding of the sampler buffer (decode_sample's own layout; the other kernels never use it). */
export const SAMPLER_BINDING = 9;
/** Binding of the layered decode's activations (`lay_*` kernels only). */
export const ACT_BINDING = 10;

/**
 * The layered decode (`lay_*` kernels), per layer: `qkvTiles` workgroups per row for the
 * attention's input projection, one per head for the attention, `projTiles` for its output
 * projection and `mlpTiles` for the MLP (each a slice of its hidden units, with its share of the
 * projection back); then one per row for the head. A tile has `tileOutputs` outputs, each dot
 * product split over workgroup / tileOutputs threads, so no thread walks a whole row of weights
 * (32 outputs unless asked otherwise; the benchmark compares other sizes).
 * The attention's weighted sum splits positions over `attnGroups` groups of threads, and the MLP's
 * projection back splits a tile's units over `projGroups`. Each row's
 * activations take `actSlots` vectors of nEmbd floats: the layer's input, the residual after
 * attention, the query, the attention's output, and the MLP tiles' partial sums.
 */
export interface LayeredShape {
  tileOutputs: number;
  qkvTiles: number;
  /** Workgroups per row of the attention: one per head. */
  attnTiles: number;
  projTiles: number;
  mlpTiles: number;
  attnGroups: number;
  projGroups: number;
  actSlots: number;
  dispatchesPerStep: number;
}

export function layeredShape(
  c: TinyMathConfig,
  workgroup = WORKGROUP,
  tileOutputs = Math.min(32, workgroup),
): LayeredShape {
  if (!Number.isInteger(Math.log2(tileOutputs)) || tileOutputs > workgroup)
    throw new Error(
      `WebGPU: tiles of ${tileOutputs} outputs must be a power of two of at most ${workgroup} (the threads per workgroup)`,
    );
  const mlpTiles = Math.ceil((4 * c.nEmbd) / tileOutputs);
  return {
    tileOutputs,
    qkvTiles: Math.ceil((3 * c.nEmbd) / tileOutputs),
    attnTiles: c.nHead,
    projTiles: Math.ceil(c.nEmbd / tileOutputs),
    mlpTiles,
    attnGroups: Math.max(1, Math.floor(workgroup / (c.nEmbd / c.nHead))),
    // A power of two, so that it divides tileOutputs.
    projGroups: Math.min(tileOutputs, 2 ** Math.floor(Math.log2(Math.max(1, workgroup / c.nEmbd)))),
    actSlots: 4 + mlpTiles,
    dispatchesPerStep: 4 * c.nLayer + 1,
  };
}

/** Float offsets of each tensor in the packed weight buffer. */
export interface WeightLayout {
  wte: number;
  wpe: number;
  lnFWeight: number;
  lnFBias: number;
  layerBase: number;
  layerSize: number;
  /** Offsets inside one layer. */
  layer: {
    ln1Weight: number;
    ln1Bias: number;
    attnWeight: number;
    attnBias: number;
    attnProjWeight: number;
    attnProjBias: number;
    ln2Weight: number;
    ln2Bias: number;
    fcWeight: number;
    fcBias: number;
    mlpProjWeight: number;
    mlpProjBias: number;
  };
  /** The generator-confidence input's tensors, after the layers (null without one). */
  confidence: { lnWeight: number; lnBias: number; weight: number; bias: number } | null;
  total: number;
}

export function weightLayout(c: TinyMathConfig): WeightLayout {
  const D = c.nEmbd;
  let at = 0;
  const take = (n: number): number => {
    const o = at;
    at += n;
    return o;
  };
  const wte = take(c.vocabSize * D);
  const wpe = take(c.nPositions * D);
  const lnFWeight = take(D);
  const lnFBias = take(D);
  const layerBase = at;
  at = 0;
  const layer = {
    ln1Weight: take(D),
    ln1Bias: take(D),
    attnWeight: take(D * 3 * D),
    attnBias: take(3 * D),
    attnProjWeight: take(D * D),
    attnProjBias: take(D),
    ln2Weight: take(D),
    ln2Bias: take(D),
    fcWeight: take(D * 4 * D),
    fcBias: take(4 * D),
    mlpProjWeight: take(4 * D * D),
    mlpProjBias: take(D),
  };
  const layerSize = at;
  at = layerBase + c.nLayer * layerSize;
  const confidence = c.confidence
    ? {
        lnWeight: take(D),
        lnBias: take(D),
        weight: take(confidenceFeatureCount(c.confidence) * D),
        bias: take(D),
      }
    : null;
  return {
    wte,
    wpe,
    lnFWeight,
    lnFBias,
    layerBase,
    layerSize,
    layer,
    confidence,
    total: at,
  };
}

/**
 * Positions whose attention scores sit in workgroup memory at once; longer rows are processed
 * in tiles with an online softmax. Sized to the device's workgroup memory (16 KB is the floor
 * every WebGPU device offers), so a 1024-position context never needs more.
 */
export function scoreTile(
  c: TinyMathConfig,
  maxWorkgroupBytes: number,
  workgroup = WORKGROUP,
  layered = false,
): number {
  const floats =
    Math.floor(Math.min(maxWorkgroupBytes, 16384) / 4) -
    (7 * c.nEmbd + workgroup + layeredFloats(workgroup, layered) + JOB_FLOATS);
  return Math.max(0, Math.min(c.nPositions, Math.floor(floats / c.nHead)));
}

/** Workgroup memory the kernels need, in bytes (checked against the device's limit). */
export function workgroupBytes(
  c: TinyMathConfig,
  tile: number,
  workgroup = WORKGROUP,
  layered = false,
): number {
  return (
    4 *
    (3 * c.nEmbd +
      4 * c.nEmbd +
      c.nHead * tile +
      workgroup +
      layeredFloats(workgroup, layered) +
      JOB_FLOATS)
  );
}

/**
 * The layered kernels' own workgroup arrays (red2 and gstat, at most 2 x workgroup floats each).
 * The other kernels never use them, and a pipeline only counts what its entry point uses.
 */
function layeredFloats(workgroup: number, layered: boolean): number {
  return layered ? 4 * workgroup : 0;
}

const f = (x: number): string => {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
};

/**
 * The WGSL module for one model shape.
 * @param tile positions per attention tile (scoreTile())
 * @param workgroup threads per workgroup (a power of two)
 * @param tileOutputs outputs per tile of the layered kernels (layeredShape())
 */
export function tinyMathWgsl(
  c: TinyMathConfig,
  tile: number,
  workgroup = WORKGROUP,
  tileOutputs?: number,
): string {
  const L = weightLayout(c);
  const D = c.nEmbd;
  const lw = L.layer;
  const lay = layeredShape(c, workgroup, tileOutputs);
  return /* wgsl */ `
const D: u32 = ${D}u;
const FF: u32 = ${4 * D}u;
const H: u32 = ${c.nHead}u;
const HD: u32 = ${D / c.nHead}u;
const V: u32 = ${c.vocabSize}u;
const P: u32 = ${c.nPositions}u;
const NL: u32 = ${c.nLayer}u;
const WG: u32 = ${workgroup}u;
const TILE: u32 = ${tile}u;
// Output dimensions each thread owns in the attention sum.
const OWN: u32 = ${Math.ceil(D / workgroup)}u;
const EPS: f32 = ${f(c.layerNormEpsilon)};
const SCALE: f32 = ${f(1 / Math.sqrt(D / c.nHead))};
const WTE: u32 = ${L.wte}u;
const WPE: u32 = ${L.wpe}u;
const LNF_W: u32 = ${L.lnFWeight}u;
const LNF_B: u32 = ${L.lnFBias}u;
const LAYER_BASE: u32 = ${L.layerBase}u;
const LAYER_SIZE: u32 = ${L.layerSize}u;
const LN1_W: u32 = ${lw.ln1Weight}u;
const LN1_B: u32 = ${lw.ln1Bias}u;
const ATTN_W: u32 = ${lw.attnWeight}u;
const ATTN_B: u32 = ${lw.attnBias}u;
const APROJ_W: u32 = ${lw.attnProjWeight}u;
const APROJ_B: u32 = ${lw.attnProjBias}u;
const LN2_W: u32 = ${lw.ln2Weight}u;
const LN2_B: u32 = ${lw.ln2Bias}u;
const FC_W: u32 = ${lw.fcWeight}u;
const FC_B: u32 = ${lw.fcBias}u;
const MPROJ_W: u32 = ${lw.mlpProjWeight}u;
const MPROJ_B: u32 = ${lw.mlpProjBias}u;
const LNC_W: u32 = ${L.confidence?.lnWeight ?? 0}u;
const LNC_B: u32 = ${L.confidence?.lnBias ?? 0}u;
const CONF_W: u32 = ${L.confidence?.weight ?? 0}u;
const CONF_B: u32 = ${L.confidence?.bias ?? 0}u;
const FLOOR: f32 = ${f(c.confidence?.floor ?? -12)};
// The running sum (format version 4): its tokens, its scale, and the floats lastz keeps per row
// (the logits, then with the sum: the sum and whether the row passed SUM_AFTER).
const SUM_AFTER: u32 = ${c.confidence?.runningSum?.after ?? 0}u;
const SUM_SKIP: u32 = ${c.confidence?.runningSum?.skip ?? 0}u;
const SUM_SCALE: f32 = ${f(c.confidence?.runningSum?.scale ?? 0)};
const KEPT: u32 = ${Math.max(1, keptFloatsPerRow(c))}u;

struct Params {
  layer: u32,
  job_count: u32,
  max_len: u32,
  batch: u32,
}

@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> kcache: array<f32>;
@group(0) @binding(2) var<storage, read_write> vcache: array<f32>;
// Each job: row, cache slot, token, position id (docs/model-format.md, "Positions").
@group(0) @binding(3) var<storage, read> jobs: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> xbuf: array<f32>;
@group(0) @binding(5) var<storage, read_write> qbuf: array<f32>;
@group(0) @binding(6) var<storage, read_write> logits: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;
// Confidence input only: each row's base logits at the last position fed ([batch, V]).
@group(0) @binding(8) var<storage, read_write> lastz: array<f32>;
// decode_sample only: settings, each job's state and the sampled tokens (SAMPLER_* in kernels.ts).
@group(0) @binding(${SAMPLER_BINDING}) var<storage, read_write> sbuf: array<u32>;
const SB_JOBS: u32 = ${SAMPLER_HEADER_WORDS}u + V;
// Layered decode only: per job, the layer input, the residual after attention, the query, the
// attention's output and the MLP tiles' partial sums (layeredShape in kernels.ts).
@group(0) @binding(${ACT_BINDING}) var<storage, read_write> act: array<f32>;
const OT: u32 = ${lay.tileOutputs}u;
const KG: u32 = WG / OT;
const KC: u32 = (D + KG - 1u) / KG;
// lay_mlp's projection back: MG groups of WG / MG threads split the tile's OT hidden units.
const MG: u32 = ${lay.projGroups}u;
const NT: u32 = ${lay.mlpTiles}u;
const ACT_SLOTS: u32 = ${lay.actSlots}u;
const ACT_IN: u32 = 0u;
const ACT_MID: u32 = 1u;
const ACT_Q: u32 = 2u;
const ACT_ATT: u32 = 3u;
const ACT_PART: u32 = 4u;
// lay_attn: positions per score tile, groups of positions in the weighted sum, dimensions per
// group's stride, and dimensions per thread.
const HTILE: u32 = ${c.nHead * tile}u;
const PG: u32 = ${lay.attnGroups}u;
const DS: u32 = ${(workgroup / lay.attnGroups) | 0}u;
const OWNH: u32 = ${Math.ceil(D / c.nHead / ((workgroup / lay.attnGroups) | 0))}u;

var<workgroup> xs: array<f32, D>;
var<workgroup> hs: array<f32, D>;
var<workgroup> qs: array<f32, D>;
var<workgroup> ms: array<f32, FF>;
var<workgroup> sc: array<f32, ${c.nHead * tile}>;
var<workgroup> red: array<f32, WG>;
// The layered kernels' LayerNorm reduces two sums at once over the first RW threads.
const RW: u32 = ${Math.min(workgroup, 2 ** Math.ceil(Math.log2(D)))}u;
var<workgroup> red2: array<vec2<f32>, RW>;
// lay_attn: each group's running max and normaliser.
var<workgroup> gstat: array<vec2<f32>, PG>;
var<workgroup> wjob: vec4<u32>;
var<workgroup> wsamp: vec4<u32>;

// The job as a workgroup-uniform value: its position bounds loops that contain barriers.
fn load_job(j: u32, tid: u32) -> vec4<u32> {
  if (tid == 0u) { wjob = jobs[j]; }
  return workgroupUniformLoad(&wjob);
}

fn reduce_sum(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_max(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (tid < s) { red[tid] = max(red[tid], red[tid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// hs = LayerNorm(xs) with weight/bias at W[w_off], W[b_off].
fn layer_norm(w_off: u32, b_off: u32, tid: u32) {
  var s = 0.0;
  for (var i = tid; i < D; i += WG) { s += xs[i]; }
  let mean = reduce_sum(s, tid) / f32(D);
  var q = 0.0;
  for (var i = tid; i < D; i += WG) { let c = xs[i] - mean; q += c * c; }
  let inv = 1.0 / sqrt(reduce_sum(q, tid) / f32(D) + EPS);
  for (var i = tid; i < D; i += WG) { hs[i] = (xs[i] - mean) * inv * W[w_off + i] + W[b_off + i]; }
  workgroupBarrier();
}

fn gelu_new(x: f32) -> f32 {
  // tanh saturates long before 15; clamping keeps drivers that compute tanh via exp from overflowing.
  let u = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
  return 0.5 * x * (1.0 + tanh(u));
}

fn kv_base(layer: u32, row: u32, pos: u32) -> u32 {
  return ((layer * params.batch + row) * params.max_len + pos) * D;
}

fn embed(token: u32, position: u32, tid: u32) {
  for (var i = tid; i < D; i += WG) { xs[i] = W[WTE + token * D + i] + W[WPE + position * D + i]; }
  workgroupBarrier();
}

// LN1, then q into qs and k, v into the cache at (row, pos).
fn qkv(layer: u32, row: u32, pos: u32, tid: u32) {
  let base = LAYER_BASE + layer * LAYER_SIZE;
  layer_norm(base + LN1_W, base + LN1_B, tid);
  let kv = kv_base(layer, row, pos);
  for (var o = tid; o < 3u * D; o += WG) {
    var acc = W[base + ATTN_B + o];
    for (var k = 0u; k < D; k++) { acc += hs[k] * W[base + ATTN_W + k * 3u * D + o]; }
    if (o < D) {
      qs[o] = acc;
    } else if (o < 2u * D) {
      kcache[kv + o - D] = acc;
    } else {
      vcache[kv + o - 2u * D] = acc;
    }
  }
}

// Attention over the row's cache (positions 0..pos), projection, residual, then the MLP block.
fn attend_mlp(layer: u32, row: u32, pos: u32, tid: u32) {
  attend(layer, row, pos, tid);
  let base = LAYER_BASE + layer * LAYER_SIZE;
  layer_norm(base + LN2_W, base + LN2_B, tid);
  for (var o = tid; o < FF; o += WG) {
    var acc = W[base + FC_B + o];
    for (var k = 0u; k < D; k++) { acc += hs[k] * W[base + FC_W + k * FF + o]; }
    ms[o] = gelu_new(acc);
  }
  workgroupBarrier();
  for (var o = tid; o < D; o += WG) {
    var acc = W[base + MPROJ_B + o];
    for (var k = 0u; k < FF; k++) { acc += ms[k] * W[base + MPROJ_W + k * D + o]; }
    xs[o] = xs[o] + acc;
  }
  workgroupBarrier();
}

// xs += the attention block: attention over the row's cache (positions 0..pos) with the query
// in qs, then the output projection.
fn attend(layer: u32, row: u32, pos: u32, tid: u32) {
  let base = LAYER_BASE + layer * LAYER_SIZE;
  let len = pos + 1u;
  // Online softmax over tiles of TILE positions: running max m and normaliser z per head,
  // and each thread's share of the weighted sum of values, rescaled when the max grows.
  var m: array<f32, H>;
  var z: array<f32, H>;
  var corr: array<f32, H>;
  var acc: array<f32, OWN>;
  for (var h = 0u; h < H; h++) { m[h] = -3.0e38; z[h] = 0.0; }
  for (var k = 0u; k < OWN; k++) { acc[k] = 0.0; }
  // len is workgroup-uniform (the job comes through workgroupUniformLoad), so barriers in this loop are legal.
  for (var t0 = 0u; t0 < len; t0 += TILE) {
    let tl = min(TILE, len - t0);
    for (var idx = tid; idx < H * tl; idx += WG) {
      let h = idx / tl;
      let i = idx - h * tl;
      let kb = kv_base(layer, row, t0 + i) + h * HD;
      var s = 0.0;
      for (var d = 0u; d < HD; d++) { s += qs[h * HD + d] * kcache[kb + d]; }
      sc[h * TILE + i] = s * SCALE;
    }
    workgroupBarrier();
    for (var h = 0u; h < H; h++) {
      var tm = -3.0e38;
      for (var i = tid; i < tl; i += WG) { tm = max(tm, sc[h * TILE + i]); }
      let nm = max(m[h], reduce_max(tm, tid));
      var part = 0.0;
      for (var i = tid; i < tl; i += WG) {
        let e = exp(sc[h * TILE + i] - nm);
        sc[h * TILE + i] = e;
        part += e;
      }
      corr[h] = exp(m[h] - nm);
      z[h] = z[h] * corr[h] + reduce_sum(part, tid);
      m[h] = nm;
    }
    for (var k = 0u; k < OWN; k++) {
      let o = tid + k * WG;
      if (o < D) {
        let h = o / HD;
        var a = acc[k] * corr[h];
        for (var i = 0u; i < tl; i++) { a += sc[h * TILE + i] * vcache[kv_base(layer, row, t0 + i) + o]; }
        acc[k] = a;
      }
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < OWN; k++) {
    let o = tid + k * WG;
    if (o < D) { hs[o] = acc[k] / z[o / HD]; }
  }
  workgroupBarrier();
  for (var o = tid; o < D; o += WG) {
    var acc = W[base + APROJ_B + o];
    for (var k = 0u; k < D; k++) { acc += hs[k] * W[base + APROJ_W + k * D + o]; }
    xs[o] = xs[o] + acc;
  }
  workgroupBarrier();
}

// A LayerNorm (weight/bias at W[w_off], W[b_off]) and the tied output embedding for job j:
// the final head with ln_f, or the base's logits for the confidence input with ln_conf.
fn head(j: u32, tid: u32, w_off: u32, b_off: u32) {
  layer_norm(w_off, b_off, tid);
  for (var v = tid; v < V; v += WG) {
    var acc = 0.0;
    for (var k = 0u; k < D; k++) { acc += hs[k] * W[WTE + v * D + k]; }
    logits[j * V + v] = acc;
  }
}

fn job_index(wid: vec3<u32>) -> u32 {
  return wid.x + wid.y * 65535u;
}

// The whole model for job j's one token: its key and value into the cache, its logits out.
fn forward_one(j: u32, job: vec4<u32>, tid: u32) {
  embed(job.z, job.w, tid);
  for (var layer = 0u; layer < NL; layer++) {
    qkv(layer, job.x, job.y, tid);
    // This workgroup's own key and value must be visible to its attention.
    storageBarrier();
    workgroupBarrier();
    attend_mlp(layer, job.x, job.y, tid);
  }
  head(j, tid, LNF_W, LNF_B);
}

@compute @workgroup_size(WG)
fn decode(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  forward_one(j, load_job(j, tid), tid);
}

// mulberry32, as engine/random.ts: the state advances by a constant, then is mixed.
fn mulberry_mix(state: u32) -> u32 {
  var t = state;
  t = (t ^ (t >> 15u)) * (t | 1u);
  t = t ^ (t + (t ^ (t >> 7u)) * (t | 61u));
  return t ^ (t >> 14u);
}

fn banned(v: u32) -> bool {
  return (sbuf[${SAMPLER_HEADER_WORDS}u + v] & ${SAMPLER_BANNED}u) != 0u;
}

// Thread 0 of decode_sample: pick the next token from logits[j] as sampling.ts's sampleToken
// does (greedy at temperature 0, lowest id on ties; otherwise temperature, then top-p over the
// probabilities sorted by a stable insertion sort, one uniform draw), record it, and advance the
// job or end it. f32 here where sampleToken uses f64: a draw that lands within rounding of a
// boundary between two tokens can pick the other one.
fn sample_next(j: u32, base: u32, job: vec4<u32>, st_in: vec4<u32>) {
  var st = st_in;
  let lo = j * V;
  var mx = -3.0e38;
  for (var v = 0u; v < V; v++) { mx = max(mx, logits[lo + v]); }
  var se = 0.0;
  for (var v = 0u; v < V; v++) { se += exp(logits[lo + v] - mx); }
  let lse = mx + log(se);
  let temperature = bitcast<f32>(sbuf[0]);
  let top_p = bitcast<f32>(sbuf[1]);
  var token = 0u;
  if (temperature <= 0.0) {
    var found = false;
    var best = 0.0;
    for (var v = 0u; v < V; v++) {
      if (!banned(v) && (!found || logits[lo + v] > best)) {
        found = true;
        best = logits[lo + v];
        token = v;
      }
    }
  } else {
    var m = -3.0e38;
    for (var v = 0u; v < V; v++) {
      if (!banned(v)) { m = max(m, logits[lo + v]); }
    }
    var probs: array<f32, V>;
    var order: array<u32, V>;
    var total = 0.0;
    for (var v = 0u; v < V; v++) {
      var p = 0.0;
      if (!banned(v)) { p = exp((logits[lo + v] - m) / temperature); }
      probs[v] = p;
      total += p;
      order[v] = v;
    }
    var kept = V;
    var kept_mass = total;
    if (top_p < 1.0) {
      for (var i = 1u; i < V; i++) {
        let id = order[i];
        let p = probs[id];
        var k = i;
        while (k > 0u && probs[order[k - 1u]] < p) {
          order[k] = order[k - 1u];
          k--;
        }
        order[k] = id;
      }
      kept_mass = 0.0;
      kept = 0u;
      loop {
        kept_mass += probs[order[kept]];
        kept++;
        if (kept >= V || kept_mass >= top_p * total) { break; }
      }
    }
    st.x = st.x + 0x6d2b79f5u;
    // 24 random bits: exact in f32 and below 1, like next()'s [0, 1).
    var r = f32(mulberry_mix(st.x) >> 8u) / 16777216.0 * kept_mass;
    token = order[kept - 1u];
    for (var i = 0u; i < kept; i++) {
      r -= probs[order[i]];
      if (r < 0.0) {
        token = order[i];
        break;
      }
    }
  }
  let out = sbuf[2] + 2u * (st.w * params.job_count + j);
  sbuf[out] = token;
  sbuf[out + 1u] = bitcast<u32>(logits[lo + token] - lse);
  st.w += 1u;
  st.y -= 1u;
  // The row ends on an end token, when its budget is spent, or when its cache is full (the token
  // just fed took slot job.y, so the row holds job.y + 1 tokens).
  let ended = (sbuf[${SAMPLER_HEADER_WORDS}u + token] & ${SAMPLER_END}u) != 0u ||
    st.y == 0u || job.y + 1u >= params.max_len;
  if (ended) {
    st.z = 1u;
  } else {
    sbuf[base] = job.x;
    sbuf[base + 1u] = job.y + 1u;
    sbuf[base + 2u] = token;
    sbuf[base + 3u] = job.w + 1u;
  }
  sbuf[base + 4u] = st.x;
  sbuf[base + 5u] = st.y;
  sbuf[base + 6u] = st.z;
  sbuf[base + 7u] = st.w;
}

// One decode step that also samples: the job and the sampler state live in sbuf, so the same
// dispatch repeated in one submit generates several tokens per row with no readback between
// them. A row that has ended leaves at once.
@compute @workgroup_size(WG)
fn decode_sample(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  forward_one(j, lj.job, tid);
  sample_logits(j, lj, tid);
}

// After the logits of job j: thread 0 reads what the other threads just wrote, samples the next
// token and advances the job (sample_next).
fn sample_logits(j: u32, lj: LayJob, tid: u32) {
  storageBarrier();
  workgroupBarrier();
  if (tid == 0u) { sample_next(j, SB_JOBS + j * ${SAMPLER_JOB_WORDS}u, lj.job, lj.state); }
}

// ---- Layered decode: the same step as decode_sample, split over many workgroups per row ----

fn act_at(j: u32, slot: u32) -> u32 {
  return (j * ACT_SLOTS + slot) * D;
}

struct LayJob {
  job: vec4<u32>,
  state: vec4<u32>,
}

// Job j and its sampler state from sbuf, as workgroup-uniform values.
fn sampler_job(j: u32, tid: u32) -> LayJob {
  let base = SB_JOBS + j * ${SAMPLER_JOB_WORDS}u;
  if (tid == 0u) {
    wjob = vec4<u32>(sbuf[base], sbuf[base + 1u], sbuf[base + 2u], sbuf[base + 3u]);
    wsamp = vec4<u32>(sbuf[base + 4u], sbuf[base + 5u], sbuf[base + 6u], sbuf[base + 7u]);
  }
  return LayJob(workgroupUniformLoad(&wjob), workgroupUniformLoad(&wsamp));
}

// xs = the output of the layer before this one: the residual after its attention, plus its MLP's
// partial sums and bias.
fn lay_layer_output(j: u32, layer: u32, tid: u32) {
  let bias = LAYER_BASE + (layer - 1u) * LAYER_SIZE + MPROJ_B;
  for (var i = tid; i < D; i += WG) {
    var part = W[bias + i];
    for (var t = 0u; t < NT; t++) { part += act[act_at(j, ACT_PART + t) + i]; }
    xs[i] = act[act_at(j, ACT_MID) + i] + part;
  }
  workgroupBarrier();
}

fn reduce_sum2(v: vec2<f32>, tid: u32) -> vec2<f32> {
  if (tid < RW) { red2[tid] = v; }
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s = s >> 1u) {
    if (tid < s) { red2[tid] = red2[tid] + red2[tid + s]; }
    workgroupBarrier();
  }
  let r = red2[0];
  workgroupBarrier();
  return r;
}

// hs = LayerNorm(xs) as layer_norm() computes it, with one reduction instead of two: the sums of
// c = x - xs[0] and of c * c (the shift keeps the variance accurate when the mean is far from 0).
// Each reduction is a chain of barriers, and in the layered kernels such chains set the time.
// xs must be visible to every thread already.
fn lay_layer_norm(w_off: u32, b_off: u32, tid: u32) {
  let shift = xs[0];
  var a = vec2<f32>(0.0, 0.0);
  for (var i = tid; i < D; i += WG) {
    let c = xs[i] - shift;
    a += vec2<f32>(c, c * c);
  }
  let t = reduce_sum2(a, tid) / f32(D);
  let mean = shift + t.x;
  let inv = 1.0 / sqrt(max(t.y - t.x * t.x, 0.0) + EPS);
  for (var i = tid; i < D; i += WG) { hs[i] = (xs[i] - mean) * inv * W[w_off + i] + W[b_off + i]; }
  workgroupBarrier();
}

// One output of hs · W for a tile of OT outputs, the inner dimension split KG ways: thread
// (o mod OT, g) sums k = g, g + KG, ... of hs[k] * W[w_off + k * ks + o * os], then the first OT
// threads add the KG shares up. Only they get the sum (0 elsewhere). Short chains of loads per
// thread are the point: a thread's serial loads, not arithmetic, set a tile's time. The loop
// has a constant trip count (KC) so that the compiler can unroll it and issue the loads at once.
fn tile_dot(w_off: u32, ks: u32, os: u32, o: u32, valid: bool, tid: u32) -> f32 {
  var acc = 0.0;
  if (valid) {
    let g = tid / OT;
    for (var i = 0u; i < KC; i++) {
      let k = min(g + i * KG, D - 1u);
      acc += select(0.0, hs[k], g + i * KG < D) * W[w_off + k * ks + o * os];
    }
  }
  red[tid] = acc;
  workgroupBarrier();
  var s = 0.0;
  if (tid < OT) {
    for (var g = 0u; g < KG; g++) { s += red[g * OT + tid]; }
  }
  workgroupBarrier();
  return s;
}

// The attention's input projection: workgroup x takes outputs x*OT .. x*OT + OT - 1 of q|k|v.
@compute @workgroup_size(WG)
fn lay_qkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  let layer = params.layer;
  // What needs no job is read first, so that its loads overlap the job's (here and below).
  if (layer > 0u) { lay_layer_output(j, layer, tid); }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  let job = lj.job;
  if (layer == 0u) { embed(job.z, job.w, tid); }
  // Workgroup 0 keeps the layer's input for the attention's residual.
  if (wid.x == 0u) {
    for (var i = tid; i < D; i += WG) { act[act_at(j, ACT_IN) + i] = xs[i]; }
  }
  let base = LAYER_BASE + layer * LAYER_SIZE;
  lay_layer_norm(base + LN1_W, base + LN1_B, tid);
  let o = wid.x * OT + tid % OT;
  let s = tile_dot(base + ATTN_W, 3u * D, 1u, o, o < 3u * D, tid);
  if (tid < OT && o < 3u * D) {
    let acc = W[base + ATTN_B + o] + s;
    let kv = kv_base(layer, job.x, job.y);
    if (o < D) {
      act[act_at(j, ACT_Q) + o] = acc;
    } else if (o < 2u * D) {
      kcache[kv + o - D] = acc;
    } else {
      vcache[kv + o - 2u * D] = acc;
    }
  }
}

// One head's attention (workgroup x = head) over the row's cache, into its slice of ACT_ATT.
// Thread i scores positions i, i + WG, ... into sc. Then thread (d mod DS, group pg) takes
// dimension d over positions pg, pg + PG, ...: each group keeps its own running max, normaliser
// and weighted sum of values (an online softmax per group), and the groups are merged at the end.
// That needs no reduction over the whole workgroup, whose chains of barriers would set the time.
@compute @workgroup_size(WG)
fn lay_attn(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  let h = wid.x;
  let hb = h * HD;
  for (var i = tid; i < HD; i += WG) { qs[i] = act[act_at(j, ACT_Q) + hb + i]; }
  // sampler_job's workgroupUniformLoad is also the barrier for qs.
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  let layer = params.layer;
  let row = lj.job.x;
  let len = lj.job.y + 1u;
  let pg = tid / DS;
  let dl = tid % DS;
  var m = -3.0e38;
  var z = 0.0;
  var acc: array<f32, OWNH>;
  for (var k = 0u; k < OWNH; k++) { acc[k] = 0.0; }
  // len is workgroup-uniform (the job comes through workgroupUniformLoad), so barriers in this loop are legal.
  for (var t0 = 0u; t0 < len; t0 += HTILE) {
    let tl = min(HTILE, len - t0);
    for (var i = tid; i < tl; i += WG) {
      let kb = kv_base(layer, row, t0 + i) + hb;
      var s = 0.0;
      for (var d = 0u; d < HD; d++) { s += qs[d] * kcache[kb + d]; }
      sc[i] = s * SCALE;
    }
    workgroupBarrier();
    if (pg < PG) {
      var tm = m;
      for (var i = pg; i < tl; i += PG) { tm = max(tm, sc[i]); }
      let corr = exp(m - tm);
      m = tm;
      z *= corr;
      for (var k = 0u; k < OWNH; k++) { acc[k] *= corr; }
      // Four positions per iteration with their own sums, so that four loads are in flight.
      let vb = kv_base(layer, row, t0) + hb;
      var i = pg;
      for (; i + 3u * PG < tl; i += 4u * PG) {
        let e0 = exp(sc[i] - m);
        let e1 = exp(sc[i + PG] - m);
        let e2 = exp(sc[i + 2u * PG] - m);
        let e3 = exp(sc[i + 3u * PG] - m);
        z += (e0 + e1) + (e2 + e3);
        for (var k = 0u; k < OWNH; k++) {
          let d = min(dl + k * DS, HD - 1u);
          acc[k] += (e0 * vcache[vb + i * D + d] + e1 * vcache[vb + (i + PG) * D + d]) +
            (e2 * vcache[vb + (i + 2u * PG) * D + d] + e3 * vcache[vb + (i + 3u * PG) * D + d]);
        }
      }
      for (; i < tl; i += PG) {
        let e = exp(sc[i] - m);
        z += e;
        for (var k = 0u; k < OWNH; k++) {
          acc[k] += e * vcache[vb + i * D + min(dl + k * DS, HD - 1u)];
        }
      }
    }
    workgroupBarrier();
  }
  if (PG == 1u) {
    for (var k = 0u; k < OWNH; k++) {
      let d = dl + k * DS;
      if (d < HD) { act[act_at(j, ACT_ATT) + hb + d] = acc[k] / z; }
    }
  } else {
    // PG > 1 means DS >= HD: one dimension per thread. Merge the groups: rescale each to the
    // largest max.
    var mine = 0.0;
    if (pg < PG) { mine = acc[0]; }
    red[tid] = mine;
    if (pg < PG && dl == 0u) { gstat[pg] = vec2<f32>(m, z); }
    workgroupBarrier();
    if (tid < HD) {
      var big = -3.0e38;
      for (var g = 0u; g < PG; g++) { big = max(big, gstat[g].x); }
      var s = 0.0;
      var zs = 0.0;
      for (var g = 0u; g < PG; g++) {
        let f = exp(gstat[g].x - big);
        s += red[g * DS + tid] * f;
        zs += gstat[g].y * f;
      }
      act[act_at(j, ACT_ATT) + hb + tid] = s / zs;
    }
  }
}

// The attention's output projection and residual: workgroup x takes outputs x*OT .. x*OT + OT - 1
// into ACT_MID.
@compute @workgroup_size(WG)
fn lay_proj(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  for (var i = tid; i < D; i += WG) { hs[i] = act[act_at(j, ACT_ATT) + i]; }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  let base = LAYER_BASE + params.layer * LAYER_SIZE;
  let o = wid.x * OT + tid % OT;
  let s = tile_dot(base + APROJ_W, D, 1u, o, o < D, tid);
  if (tid < OT && o < D) {
    act[act_at(j, ACT_MID) + o] = act[act_at(j, ACT_IN) + o] + (W[base + APROJ_B + o] + s);
  }
}

// The MLP: workgroup x takes hidden units x*OT .. x*OT + OT - 1 and writes its share of the
// projection back (without the bias) to partial sum x; the next stage adds them up.
@compute @workgroup_size(WG)
fn lay_mlp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  for (var i = tid; i < D; i += WG) { xs[i] = act[act_at(j, ACT_MID) + i]; }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  let base = LAYER_BASE + params.layer * LAYER_SIZE;
  lay_layer_norm(base + LN2_W, base + LN2_B, tid);
  let first = wid.x * OT;
  let u = first + tid % OT;
  let s = tile_dot(base + FC_W, FF, 1u, u, u < FF, tid);
  if (tid < OT) {
    var g = 0.0;
    if (u < FF) { g = gelu_new(W[base + FC_B + u] + s); }
    ms[tid] = g;
  }
  workgroupBarrier();
  // Units past FF (a last, partial tile) have ms = 0; min() keeps their weight reads in the tensor.
  let per = WG / MG;
  let g = tid / per;
  for (var o0 = 0u; o0 < D; o0 += per) {
    let o = o0 + tid % per;
    var acc = 0.0;
    if (o < D) {
      for (var i = 0u; i < OT / MG; i++) {
        let k = g + i * MG;
        acc += ms[k] * W[base + MPROJ_W + min(first + k, FF - 1u) * D + o];
      }
    }
    if (MG == 1u) {
      if (o < D) { act[act_at(j, ACT_PART + wid.x) + o] = acc; }
    } else {
      red[tid] = acc;
      workgroupBarrier();
      if (g == 0u && o < D) {
        var s = 0.0;
        for (var h = 0u; h < MG; h++) { s += red[h * per + tid]; }
        act[act_at(j, ACT_PART + wid.x) + o] = s;
      }
      workgroupBarrier();
    }
  }
}

// The last layer's output, the final LayerNorm and the logits (one workgroup per row; the
// vocabulary in tiles of OT, each dot product split KG ways).
fn lay_logits(j: u32, tid: u32) {
  lay_layer_output(j, NL, tid);
  lay_layer_norm(LNF_W, LNF_B, tid);
  for (var v0 = 0u; v0 < V; v0 += OT) {
    let v = v0 + tid % OT;
    let s = tile_dot(WTE, 1u, D, v, v < V, tid);
    if (tid < OT && v < V) { logits[j * V + v] = s; }
  }
}

@compute @workgroup_size(WG)
fn lay_head(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  lay_logits(j, tid);
}

// The head, then the sampler (as decode_sample).
@compute @workgroup_size(WG)
fn lay_head_sample(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wid.y;
  if (j >= params.job_count) { return; }
  let lj = sampler_job(j, tid);
  if (lj.state.z != 0u) { return; }
  lay_logits(j, tid);
  sample_logits(j, lj, tid);
}

@compute @workgroup_size(WG)
fn prefill_a(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  let job = load_job(j, tid);
  if (params.layer == 0u) {
    embed(job.z, job.w, tid);
  } else {
    for (var i = tid; i < D; i += WG) { xs[i] = xbuf[j * D + i]; }
    workgroupBarrier();
  }
  qkv(params.layer, job.x, job.y, tid);
  for (var i = tid; i < D; i += WG) {
    qbuf[j * D + i] = qs[i];
    xbuf[j * D + i] = xs[i];
  }
}

@compute @workgroup_size(WG)
fn prefill_b(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  let job = load_job(j, tid);
  for (var i = tid; i < D; i += WG) {
    xs[i] = xbuf[j * D + i];
    qs[i] = qbuf[j * D + i];
  }
  workgroupBarrier();
  attend_mlp(params.layer, job.x, job.y, tid);
  if (params.layer + 1u == NL) {
    head(j, tid, LNF_W, LNF_B);
  } else {
    for (var i = tid; i < D; i += WG) { xbuf[j * D + i] = xs[i]; }
  }
}

// The base's logits at job j (LayerNorm ln_conf, tied embedding) into logits[j] as scratch.
@compute @workgroup_size(WG)
fn conf_logits(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  for (var i = tid; i < D; i += WG) { xs[i] = xbuf[j * D + i]; }
  workgroupBarrier();
  head(j, tid, LNC_W, LNC_B);
}

fn prev_logit(kept: bool, i: u32) -> f32 {
  if (kept) { return lastz[i]; }
  return logits[i];
}

// Adds the projection of [log p(token), max log p], read at the row's previous position. With the
// running sum, also leaves log p(token) in qbuf[j * D] (free between layers) for conf_sum.
@compute @workgroup_size(WG)
fn conf_inject(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  let job = jobs[j];
  var have = false;
  var kept = false;
  var off = 0u;
  if (j > 0u) {
    let pj = jobs[j - 1u];
    if (pj.x == job.x && pj.y + 1u == job.y) { have = true; off = (j - 1u) * V; }
  }
  if (!have && job.y > 0u) { have = true; kept = true; off = job.x * KEPT; }
  var f0 = 0.0;
  var f1 = 0.0;
  if (have) {
    var m = -3.0e38;
    for (var v = 0u; v < V; v++) { m = max(m, prev_logit(kept, off + v)); }
    var s = 0.0;
    for (var v = 0u; v < V; v++) { s += exp(prev_logit(kept, off + v) - m); }
    let lse = m + log(s);
    f0 = max(prev_logit(kept, off + job.z) - lse, FLOOR);
    f1 = max(m - lse, FLOOR);
  }
  for (var i = tid; i < D; i += WG) {
    xbuf[j * D + i] = xbuf[j * D + i] + W[CONF_B + i] + f0 * W[CONF_W + i] + f1 * W[CONF_W + D + i];
  }
  if (tid == 0u) { qbuf[j * D] = f0; }
}

// The running sum (format version 4): each job walks back to its row's first job in this call,
// starts from the sum lastz kept for the row (or from zero at the row's first position), adds the
// log p that conf_inject left of every job up to itself that counts, and adds the projection of
// SUM_SCALE x the sum. Leaves the sum and whether the row has passed SUM_AFTER in qbuf[j * D + 1]
// and [j * D + 2] for conf_keep. Rows are a few hundred positions, so the walk is short.
@compute @workgroup_size(WG)
fn conf_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  var first = j;
  loop {
    if (first == 0u) { break; }
    let a = jobs[first - 1u];
    let b = jobs[first];
    if (a.x != b.x || a.y + 1u != b.y) { break; }
    first -= 1u;
  }
  let fj = jobs[first];
  var sum = 0.0;
  var seen = false;
  if (fj.y > 0u) {
    sum = lastz[fj.x * KEPT + V];
    seen = lastz[fj.x * KEPT + V + 1u] == 1.0;
  }
  for (var k = first; k <= j; k++) {
    let t = jobs[k].z;
    if (seen && t != SUM_SKIP) { sum += qbuf[k * D]; }
    if (t == SUM_AFTER) { seen = true; }
  }
  let f2 = SUM_SCALE * sum;
  for (var i = tid; i < D; i += WG) {
    xbuf[j * D + i] = xbuf[j * D + i] + f2 * W[CONF_W + 2u * D + i];
  }
  if (tid == 0u) {
    qbuf[j * D + 1u] = sum;
    qbuf[j * D + 2u] = select(0.0, 1.0, seen);
  }
}

// The last job of each row keeps its logits (and with the running sum, the sum and the flag) for
// the row's next call.
@compute @workgroup_size(WG)
fn conf_keep(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = job_index(wid);
  if (j >= params.job_count) { return; }
  let row = jobs[j].x;
  var last = j + 1u == params.job_count;
  if (!last) { last = jobs[j + 1u].x != row; }
  if (last) {
    for (var v = tid; v < V; v += WG) { lastz[row * KEPT + v] = logits[j * V + v]; }
    if (KEPT > V && tid == 0u) {
      lastz[row * KEPT + V] = qbuf[j * D + 1u];
      lastz[row * KEPT + V + 1u] = qbuf[j * D + 2u];
    }
  }
}
`;
}
