/**
 * Reading an export folder from disk, for Node (command line, tests, benchmark).
 * The fs module is fetched at call time rather than imported, so that this file can sit in the
 * browser bundle's module graph without pulling Node built-ins into it.
 */
import { EXPORT_FILES, ModelFormatError, type ExportFiles } from './format';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule === 'function') {
    return {
      fs: proc.getBuiltinModule('node:fs/promises') as Fs,
      path: proc.getBuiltinModule('node:path') as Path,
    };
  }
  // Older Node: a computed specifier keeps bundlers from resolving it for the browser.
  const spec = (m: string): string => `node:${m}`;
  const fs = (await import(/* @vite-ignore */ spec('fs/promises'))) as Fs;
  const path = (await import(/* @vite-ignore */ spec('path'))) as Path;
  return { fs, path };
}

/**
 * Read config.json, tokenizer.json and model.safetensors from an export folder.
 * @param dir the export folder (e.g. `public/models/tinymath-gen`)
 * @param onProgress called once per file with its size, after it is read
 */
export async function readExportDir(
  dir: string,
  onProgress?: (p: { file: string; loaded: number; total: number }) => void,
): Promise<ExportFiles> {
  const { fs, path } = await nodeModules();
  const name = path.basename(path.resolve(dir));
  const read = async (file: (typeof EXPORT_FILES)[number]): Promise<Uint8Array> => {
    const full = path.join(dir, file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(full));
    } catch (e) {
      throw new ModelFormatError(`${name}/${file}: cannot read ${full} (${(e as Error).message})`);
    }
    onProgress?.({ file: `${name}/${file}`, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  };
  // Read in parallel, but report a failure in file order (config.json first), not whichever
  // read happened to fail first.
  const settled = await Promise.allSettled(EXPORT_FILES.map(read));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, tokenizer, safetensors] = settled.map(
    (r) => (r as PromiseFulfilledResult<Uint8Array>).value,
  );
  const text = new TextDecoder();
  return {
    name,
    config: text.decode(config),
    tokenizer: text.decode(tokenizer),
    safetensors: safetensors!,
  };
}

/** Read golden.json (parity tests). */
export async function readGolden(dir: string): Promise<Golden> {
  const { fs, path } = await nodeModules();
  return JSON.parse(await fs.readFile(path.join(dir, 'golden.json'), 'utf8')) as Golden;
}

/** golden.json: float32 logits of the stored weights on fixed inputs (docs/model-format.md). */
export interface Golden {
  /** `positions`: the position id of each token (format version 2, `promptPositions`). */
  inputs: { text: string; ids: number[]; positions: number[]; logits: number[][] }[];
  tolerance: number;
}
