/**
 * The CPU path's matrix product as WebAssembly (SIMD), generated here as WAT and assembled with
 * wabt into src/runtime/tinymath/linearWasmBytes.ts (committed: the app and the CLI need no
 * assembler). Run `npx tsx scripts/linear-wasm.ts` after changing it; a test checks that the
 * committed bytes are what this file assembles.
 *
 * `linear(x, rows, kDim, w, mDim, out)` adds x[rows x kDim] . w[kDim x mDim] to out[rows x mDim]
 * (byte offsets into the module's memory, f32 arrays) with exactly the arithmetic of cpu.ts's
 * linear(): each product and sum in f64, the weights' rows four at a time summed left to right,
 * then added to out and rounded to f32; the rest of the rows one at a time. Two columns share an
 * f64x2 vector, so the results are bit for bit those of the TypeScript loop.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const ROWS = 4;

const get = (name: string) => `(local.get $${name})`;
const i32 = (n: number) => `(i32.const ${n})`;
const add = (a: string, b: string) => `(i32.add ${a} ${b})`;

/** f64x2 of out[p], out[p + 4] plus `sum`, rounded to f32 and stored back. */
function accumulate2(p: string, sum: string): string {
  return `(v128.store64_lane 0 ${p} (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero ${p})) ${sum})))`;
}

/** The same for one column (an odd last one). */
function accumulate1(p: string, sum: string): string {
  return `(f32.store ${p} (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load ${p})) ${sum})))`;
}

/** The body for `rows` rows starting at $x0.. / $o0..; `block` weight rows per pass (4 or 1). */
function rowBlock(rows: number, block: number): string {
  const rowIdx = Array.from({ length: rows }, (_, i) => i);
  const kIdx = Array.from({ length: block }, (_, q) => q);
  const splats = rowIdx
    .flatMap((i) =>
      kIdx.map(
        (q) =>
          `(local.set $a${i}_${q} (f64x2.splat (f64.promote_f32 (f32.load offset=${4 * q} ${add(get(`x${i}`), `(i32.shl ${get('k')} ${i32(2)})`)}))))`,
      ),
    )
    .join('\n');
  const wRows = kIdx
    .map((q) =>
      q === 0
        ? `(local.set $w0 ${add(get('w'), `(i32.mul ${get('k')} ${get('mb')})`)})`
        : `(local.set $w${q} ${add(get(`w${q - 1}`), get('mb'))})`,
    )
    .join('\n');
  // Products summed left to right, as `a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3` in TypeScript.
  const sum2 = (i: number) =>
    kIdx
      .map((q) => `(f64x2.mul ${get(`a${i}_${q}`)} ${get(`v${q}`)})`)
      .reduce((acc, term) => `(f64x2.add ${acc} ${term})`);
  const sum1 = (i: number) =>
    kIdx
      .map(
        (q) =>
          `(f64.mul (f64x2.extract_lane 0 ${get(`a${i}_${q}`)}) (f64.promote_f32 (f32.load ${add(get(`w${q}`), get('jb'))})))`,
      )
      .reduce((acc, term) => `(f64.add ${acc} ${term})`);
  const loads = kIdx
    .map(
      (q) =>
        `(local.set $v${q} (f64x2.promote_low_f32x4 (v128.load64_zero ${add(get(`w${q}`), get('jb'))})))`,
    )
    .join('\n');
  const columns2 = rowIdx.map((i) => accumulate2(add(get(`o${i}`), get('jb')), sum2(i))).join('\n');
  const column1 = rowIdx.map((i) => accumulate1(add(get(`o${i}`), get('jb')), sum1(i))).join('\n');
  const label = `r${rows}k${block}`;
  return `
(block $${label}_kdone (loop $${label}_k
  (br_if $${label}_kdone (i32.gt_s ${add(get('k'), i32(block))} ${get('kd')}))
  ${splats}
  ${wRows}
  (local.set $jb ${i32(0)})
  (block $${label}_jdone (loop $${label}_j
    (br_if $${label}_jdone (i32.gt_s ${add(get('jb'), i32(8))} ${get('mb')}))
    ${loads}
    ${columns2}
    (local.set $jb ${add(get('jb'), i32(8))})
    (br $${label}_j)))
  (if (i32.lt_s ${get('jb')} ${get('mb')}) (then
    ${column1}))
  (local.set $k ${add(get('k'), i32(block))})
  (br $${label}_k)))`;
}

/** Rows `rows` at a time from $r while they last. */
function rowLoop(rows: number): string {
  const pointers = Array.from(
    { length: rows },
    (_, i) => `
  (local.set $x${i} ${add(get('x'), `(i32.mul ${add(get('r'), i32(i))} ${get('kb')})`)})
  (local.set $o${i} ${add(get('out'), `(i32.mul ${add(get('r'), i32(i))} ${get('mb')})`)})`,
  ).join('');
  return `
(block $rows${rows}_done (loop $rows${rows}
  (br_if $rows${rows}_done (i32.gt_s ${add(get('r'), i32(rows))} ${get('rows')}))
  ${pointers}
  (local.set $k ${i32(0)})
  ${rowBlock(rows, 4)}
  ${rowBlock(rows, 1)}
  (local.set $r ${add(get('r'), i32(rows))})
  (br $rows${rows})))`;
}

/**
 * Attention scores for one head: scores[t] = f32(q . k_t * scale) for t < n, keys `stride` bytes
 * apart; returns the largest unrounded score. As cpu.ts: four partial sums (lanes of two f64x2
 * vectors), the rest of the head into the first, then ((s0 + s1) + (s2 + s3)) * scale.
 */
const ATTN_SCORES = `
(func (export "attn_scores")
  (param $q i32) (param $k i32) (param $n i32) (param $hd i32) (param $stride i32) (param $scale f64) (param $out i32)
  (result f64)
  (local $t i32) (local $i i32) (local $kt i32) (local $a v128) (local $b v128) (local $s f64) (local $max f64)
  (local.set $max (f64.const -inf))
  (local.set $t (i32.const 0))
  (block $tdone (loop $tl
    (br_if $tdone (i32.ge_s (local.get $t) (local.get $n)))
    (local.set $kt (i32.add (local.get $k) (i32.mul (local.get $t) (local.get $stride))))
    (local.set $a (v128.const i64x2 0 0))
    (local.set $b (v128.const i64x2 0 0))
    (local.set $i (i32.const 0))
    (block $idone (loop $il
      (br_if $idone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $hd)))
      (local.set $a (f64x2.add (local.get $a) (f64x2.mul
        (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2)))))
        (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $kt) (i32.shl (local.get $i) (i32.const 2))))))))
      (local.set $b (f64x2.add (local.get $b) (f64x2.mul
        (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2)))))
        (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $kt) (i32.shl (local.get $i) (i32.const 2))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $il)))
    ;; The rest of the head goes into the first partial sum.
    (block $rdone (loop $rl
      (br_if $rdone (i32.ge_s (local.get $i) (local.get $hd)))
      (local.set $a (f64x2.replace_lane 0 (local.get $a) (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64.mul
        (f64.promote_f32 (f32.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2)))))
        (f64.promote_f32 (f32.load (i32.add (local.get $kt) (i32.shl (local.get $i) (i32.const 2)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl)))
    (local.set $s (f64.mul (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
      (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b))))
      (local.get $scale)))
    (f32.store (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2))) (f32.demote_f64 (local.get $s)))
    (if (f64.gt (local.get $s) (local.get $max)) (then (local.set $max (local.get $s))))
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $tl)))
  (local.get $max))`;

/**
 * The head's output: out[i] = f32((sum over t < n of p[t] * v_t[i]) * inv), values `stride`
 * bytes apart. As cpu.ts: four outputs at a time (two f64x2 vectors), positions in order, then
 * the rest one at a time.
 */
const ATTN_MIX = `
(func (export "attn_mix")
  (param $p i32) (param $v i32) (param $n i32) (param $hd i32) (param $stride i32) (param $inv f64) (param $out i32)
  (local $t i32) (local $i i32) (local $vt i32) (local $a v128) (local $b v128) (local $pt v128) (local $s f64)
  (local.set $i (i32.const 0))
  (block $idone (loop $il
    (br_if $idone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $hd)))
    (local.set $a (v128.const i64x2 0 0))
    (local.set $b (v128.const i64x2 0 0))
    (local.set $t (i32.const 0))
    (local.set $vt (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
    (block $tdone (loop $tl
      (br_if $tdone (i32.ge_s (local.get $t) (local.get $n)))
      (local.set $pt (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2)))))))
      (local.set $a (f64x2.add (local.get $a) (f64x2.mul (local.get $pt) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $vt))))))
      (local.set $b (f64x2.add (local.get $b) (f64x2.mul (local.get $pt) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $vt))))))
      (local.set $vt (i32.add (local.get $vt) (local.get $stride)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl)))
    (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
      (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a) (f64x2.splat (local.get $inv)))))
    (v128.store64_lane offset=8 0 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
      (f32x4.demote_f64x2_zero (f64x2.mul (local.get $b) (f64x2.splat (local.get $inv)))))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $il)))
  (block $rdone (loop $rl
    (br_if $rdone (i32.ge_s (local.get $i) (local.get $hd)))
    (local.set $s (f64.const 0))
    (local.set $t (i32.const 0))
    (local.set $vt (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
    (block $tdone2 (loop $tl2
      (br_if $tdone2 (i32.ge_s (local.get $t) (local.get $n)))
      (local.set $s (f64.add (local.get $s) (f64.mul
        (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2)))))
        (f64.promote_f32 (f32.load (local.get $vt))))))
      (local.set $vt (i32.add (local.get $vt) (local.get $stride)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl2)))
    (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $s) (local.get $inv))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $rl))))`;

export function linearWat(): string {
  const v128Locals = [
    ...Array.from({ length: ROWS }, (_, i) => [0, 1, 2, 3].map((q) => `$a${i}_${q}`)).flat(),
    '$v0',
    '$v1',
    '$v2',
    '$v3',
  ];
  const i32Locals = [
    '$r',
    '$k',
    '$jb',
    '$kb',
    '$mb',
    '$w0',
    '$w1',
    '$w2',
    '$w3',
    ...Array.from({ length: ROWS }, (_, i) => [`$x${i}`, `$o${i}`]).flat(),
  ];
  return `(module
(memory (export "memory") 1)
(func (export "linear")
  (param $x i32) (param $rows i32) (param $kd i32) (param $w i32) (param $md i32) (param $out i32)
  ${i32Locals.map((l) => `(local ${l} i32)`).join(' ')}
  ${v128Locals.map((l) => `(local ${l} v128)`).join(' ')}
  (local.set $kb (i32.shl ${get('kd')} ${i32(2)}))
  (local.set $mb (i32.shl ${get('md')} ${i32(2)}))
  (local.set $r ${i32(0)})
  ${rowLoop(ROWS)}
  ${rowLoop(1)}
)
${ATTN_SCORES}
${ATTN_MIX}
)`;
}

export async function assembleLinear(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('linear.wat', linearWat(), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  module.destroy();
  return buffer;
}

/** The TypeScript module holding the bytes. */
export function bytesModule(bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  return `// Generated by scripts/linear-wasm.ts from its WAT; do not edit. ${bytes.length} bytes.
export const LINEAR_WASM_BASE64 =
  '${base64}';
`;
}

export const BYTES_FILE = 'src/runtime/tinymath/linearWasmBytes.ts';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await assembleLinear();
  writeFileSync(BYTES_FILE, bytesModule(bytes));
  console.log(`wrote ${BYTES_FILE} (${bytes.length} bytes)`);
}
