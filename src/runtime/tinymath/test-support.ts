/**
 * For tests and the benchmark only (Node): where the TinyMath exports are.
 * Parity tests run against every export folder that exists, so a new export is checked the
 * moment it lands; under CI=true, finding none is a failure, not a skip.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Folders that may hold exports, each containing one folder per model. */
export const EXPORT_PARENTS = ['public/models', 'training/out/micro'];

export interface ExportDir {
  /** e.g. `public/models/tinymath-gen` (or an absolute path from TTC_TINYMATH_EXPORTS). */
  label: string;
  dir: string;
  role: 'generator' | 'revision' | 'prm' | 'unknown';
}

function roleOf(dir: string): ExportDir['role'] {
  try {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      ttc_lab?: { role?: string };
    };
    const r = cfg.ttc_lab?.role;
    return r === 'generator' || r === 'revision' || r === 'prm' ? r : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Every export folder (one holding config.json, model.safetensors and golden.json) under
 * public/models/* and training/out/micro/*, plus those listed in TTC_TINYMATH_EXPORTS
 * (colon-separated folders, for local fixtures).
 */
export function findExportDirs(): ExportDir[] {
  const out: ExportDir[] = [];
  const isExport = (d: string): boolean =>
    ['config.json', 'model.safetensors', 'golden.json', 'tokenizer.json'].every((f) =>
      existsSync(join(d, f)),
    );
  for (const parent of EXPORT_PARENTS) {
    const abs = join(REPO_ROOT, parent);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) {
      const dir = join(abs, name);
      if (isExport(dir)) out.push({ label: `${parent}/${name}`, dir, role: roleOf(dir) });
    }
  }
  for (const dir of (process.env['TTC_TINYMATH_EXPORTS'] ?? '').split(':').filter(Boolean)) {
    if (isExport(dir)) out.push({ label: dir, dir, role: roleOf(dir) });
  }
  return out;
}

/** Exports found, or (under CI=true) an error explaining that parity cannot be checked. */
export function requireExportDirs(): ExportDir[] {
  const dirs = findExportDirs();
  if (dirs.length === 0 && process.env['CI'] === 'true') {
    throw new Error(
      `no TinyMath export found under ${EXPORT_PARENTS.join(' or ')}: run the training export (or npm run train:micro) first`,
    );
  }
  return dirs;
}
