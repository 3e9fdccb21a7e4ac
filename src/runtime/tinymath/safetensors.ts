/**
 * A reader for the safetensors format: an 8-byte little-endian header length, a JSON header
 * (`{name: {dtype, shape, data_offsets: [begin, end]}}`, offsets relative to the end of the
 * header) and the raw little-endian tensor data. Every tensor comes back as a Float32Array,
 * whatever its stored dtype, because both backends compute in float32.
 */

export type SafetensorsDtype = 'F16' | 'BF16' | 'F32';

export interface Tensor {
  name: string;
  /** The stored dtype; `data` is always float32. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** Raised for any problem with an export; the message names the file and, where known, the tensor. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<SafetensorsDtype, number> = { F16: 2, BF16: 2, F32: 4 };

let f16Table: Float32Array | null = null;

/** All 65536 half-precision values, built once (256 KB): a lookup beats bit twiddling per weight. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    table[h] = sign * v;
  }
  f16Table = table;
  return table;
}

/** Convert IEEE half floats (as raw 16-bit words) to float32. */
export function halfToFloat32(words: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = table[words[i]!]!;
  return out;
}

function isHeaderEntry(x: unknown): x is HeaderEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Partial<HeaderEntry>;
  return (
    typeof e.dtype === 'string' &&
    Array.isArray(e.shape) &&
    e.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    Array.isArray(e.data_offsets) &&
    e.data_offsets.length === 2 &&
    e.data_offsets.every((o) => Number.isInteger(o) && o >= 0)
  );
}

/**
 * Parse a whole safetensors file.
 * @param bytes the file's contents
 * @param file the file's name as the user should see it in errors (e.g. `tinymath-gen/model.safetensors`)
 * @returns tensors by name, converted to float32
 * @throws ModelFormatError naming the file and the tensor for a bad header, an unsupported dtype,
 *   a size that does not match the shape, or a file shorter than its header promises (truncated)
 */
export function parseSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  file: string,
): Map<string, Tensor> {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength < 8) {
    throw new ModelFormatError(
      `${file}: file is truncated (${u8.byteLength} bytes; not even the 8-byte header length)`,
    );
  }
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > u8.byteLength) {
    throw new ModelFormatError(
      `${file}: file is truncated: the header says it is ${headerLen} bytes but the file has only ${u8.byteLength} bytes`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + headerLen))) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new ModelFormatError(
      `${file}: the safetensors header is not valid JSON (${(e as Error).message})`,
    );
  }
  const dataStart = 8 + headerLen;
  const dataLen = u8.byteLength - dataStart;
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isHeaderEntry(entry))
      throw new ModelFormatError(`${file}: tensor "${name}" has a malformed header entry`);
    const dtype = entry.dtype as SafetensorsDtype;
    if (!(dtype in BYTES)) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has dtype ${entry.dtype}; only F16, BF16 and F32 are supported`,
      );
    }
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has shape [${entry.shape.join(',')}] (${count} x ${BYTES[dtype]} bytes) but spans ${end - begin} bytes`,
      );
    }
    if (end > dataLen) {
      throw new ModelFormatError(
        `${file}: file is truncated: tensor "${name}" needs bytes ${begin}..${end} of the data section, which has only ${dataLen} bytes`,
      );
    }
    // Copy so the data is aligned for typed-array views whatever the header length.
    const raw = u8.slice(dataStart + begin, dataStart + end);
    let data: Float32Array;
    if (dtype === 'F32') data = new Float32Array(raw.buffer, 0, count);
    else if (dtype === 'F16') data = halfToFloat32(new Uint16Array(raw.buffer, 0, count));
    else {
      // bfloat16 is the top half of a float32.
      const words = new Uint16Array(raw.buffer, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = words[i]! << 16;
      data = new Float32Array(bits.buffer);
    }
    tensors.set(name, { name, dtype, shape: entry.shape, data });
  }
  return tensors;
}

/** Build a safetensors file (used by tests to make broken files, and by tools). */
export function encodeSafetensors(
  tensors: readonly { name: string; shape: number[]; data: Float32Array }[],
): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = {
      dtype: 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
