import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LINEAR_WASM_BASE64 } from '../src/runtime/tinymath/linearWasmBytes';
import { BYTES_FILE, assembleLinear, bytesModule, linearWat } from './linear-wasm';

describe('scripts/linear-wasm.ts', () => {
  it('the committed WebAssembly is what the WAT assembles to (rerun the script after a change)', async () => {
    const bytes = await assembleLinear();
    expect(Buffer.from(LINEAR_WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(BYTES_FILE, 'utf8')).toBe(bytesModule(bytes));
    // SIMD throughout: two columns per f64x2 vector, stored back as f32.
    expect(linearWat()).toMatch(/f64x2\.promote_low_f32x4/);
    expect(linearWat()).toMatch(/f32x4\.demote_f64x2_zero/);
  });
});
