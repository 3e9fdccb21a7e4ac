import { describe, expect, it } from 'vitest';
import { syntheticExport, syntheticTensors, TINYMATH_RUNNING_SUM } from './fixtures';
import {
  earlierAttemptsEnd,
  isRevisionPrompt,
  parseExport,
  ModelFormatError,
  promptPositions,
} from './format';
import { encodeSafetensors, halfToFloat32, parseSafetensors } from './safetensors';

const SHAPE = { nEmbd: 16, nLayer: 2, nHead: 2, nPositions: 32 };

function withTensors(
  mutate: (ts: ReturnType<typeof syntheticTensors>) => ReturnType<typeof syntheticTensors>,
) {
  const files = syntheticExport(SHAPE, 1, 'tinymath-gen');
  return { ...files, safetensors: encodeSafetensors(mutate(syntheticTensors(SHAPE, 1))) };
}

describe('safetensors', () => {
  it('converts half floats exactly', () => {
    // 1.0, -2.0, 65504 (max half), 2^-24 (smallest subnormal), +inf
    const words = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]);
    expect([...halfToFloat32(words)]).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
  });

  it('reads back what it wrote, whatever the header padding', () => {
    const t = { name: 'a', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    const parsed = parseSafetensors(encodeSafetensors([t]), 'x.safetensors').get('a');
    expect(parsed?.shape).toEqual([2, 3]);
    expect([...(parsed?.data ?? [])]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file and the tensor when the file is truncated', () => {
    const bytes = encodeSafetensors(syntheticTensors(SHAPE, 1));
    const cut = bytes.slice(0, bytes.byteLength - 10);
    expect(() => parseSafetensors(cut, 'tinymath-gen/model.safetensors')).toThrow(
      /tinymath-gen\/model\.safetensors: file is truncated: tensor "transformer\.h\.1\.mlp\.c_proj\.bias"/,
    );
  });

  it('reports a truncated header', () => {
    const bytes = encodeSafetensors(syntheticTensors(SHAPE, 1)).slice(0, 40);
    expect(() => parseSafetensors(bytes, 'm.safetensors')).toThrow(
      /m\.safetensors: file is truncated/,
    );
  });

  it('rejects an unsupported dtype, naming the tensor', () => {
    const json = JSON.stringify({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } });
    const header = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + header.byteLength + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.byteLength), true);
    bytes.set(header, 8);
    expect(() => parseSafetensors(bytes, 'f.safetensors')).toThrow(
      /f\.safetensors: tensor "w" has dtype I64/,
    );
  });
});

describe('parseExport', () => {
  it('accepts a well-formed export', () => {
    const e = parseExport(syntheticExport(SHAPE, 1, 'tinymath-gen'), 'generator');
    expect(e.config.nEmbd).toBe(16);
    expect(e.weights.layers).toHaveLength(2);
    expect(e.tokenizer.encode('Q:1+2')).toEqual([19, 18, 4, 13, 5]);
    expect(e.tokenizer.decode([19, 18, 1, 4])).toBe('Q:1');
  });

  it('names the file and the tensor for a missing tensor', () => {
    const files = withTensors((ts) => ts.filter((t) => t.name !== 'transformer.h.1.mlp.c_fc.bias'));
    expect(() => parseExport(files)).toThrow(
      /tinymath-gen\/model\.safetensors: tensor "transformer\.h\.1\.mlp\.c_fc\.bias" is missing/,
    );
  });

  it('names the file and the tensor for a wrong shape', () => {
    const files = withTensors((ts) =>
      ts.map((t) =>
        t.name === 'transformer.h.0.attn.c_attn.weight'
          ? { ...t, shape: [16, 32], data: t.data.subarray(0, 512) }
          : t,
      ),
    );
    expect(() => parseExport(files)).toThrow(
      /tinymath-gen\/model\.safetensors: tensor "transformer\.h\.0\.attn\.c_attn\.weight" has shape \[16,32\], expected \[16,48\]/,
    );
  });

  it('rejects a config whose role does not match the folder', () => {
    expect(() =>
      parseExport(syntheticExport({ ...SHAPE, role: 'prm' }, 1, 'tinymath-gen'), 'generator'),
    ).toThrow(/tinymath-gen\/config\.json: ttc_lab\.role is "prm"/);
  });

  it('rejects an unknown format version', () => {
    const files = syntheticExport(SHAPE, 1, 'tinymath-gen');
    const cfg = JSON.parse(files.config) as { ttc_lab: { format_version: number } };
    cfg.ttc_lab.format_version = 99;
    expect(() => parseExport({ ...files, config: JSON.stringify(cfg) })).toThrow(ModelFormatError);
    cfg.ttc_lab.format_version = 2;
    expect(() => parseExport({ ...files, config: JSON.stringify(cfg) })).toThrow(
      /format_version is 2; this runtime reads versions 3 and 4/,
    );
  });

  it('rejects a vocabulary size that disagrees with the tokenizer', () => {
    const files = syntheticExport(SHAPE, 1, 'tinymath-gen');
    const cfg = JSON.parse(files.config) as { vocab_size: number };
    cfg.vocab_size = 30;
    expect(() => parseExport({ ...files, config: JSON.stringify(cfg) })).toThrow(
      /tokenizer\.json: has 22 tokens/,
    );
  });

  it('reads a running sum (format version 4), and names what is wrong with a bad one', () => {
    const confidence = { afterLayer: 1, floor: -12, runningSum: TINYMATH_RUNNING_SUM };
    const shape = { ...SHAPE, role: 'prm' as const, confidence };
    const files = syntheticExport(shape, 1, 'tinymath-prm');
    const e = parseExport(files, 'prm');
    expect(e.config.confidence).toEqual(confidence);
    expect(TINYMATH_RUNNING_SUM).toEqual({ after: 2, skip: 21, scale: 0.1 });
    expect(e.weights.confidence?.weight.length).toBe(3 * SHAPE.nEmbd);
    type Cfg = { ttc_lab: { format_version: number; confidence: { running_sum: object } } };
    const edited = (edit: (c: Cfg) => void) => {
      const cfg = JSON.parse(files.config) as Cfg;
      edit(cfg);
      return () => parseExport({ ...files, config: JSON.stringify(cfg) });
    };
    // A version-3 runtime would ignore the sum, so a version-3 file may not have one.
    expect(edited((c) => (c.ttc_lab.format_version = 3))).toThrow(
      /tinymath-prm\/config\.json: ttc_lab\.confidence\.running_sum needs format_version 4 \(the file says 3\)/,
    );
    expect(edited((c) => (c.ttc_lab.confidence.running_sum = { after: '\n', scale: 0.1 }))).toThrow(
      /running_sum must give "after" and "skip" tokens \(strings\) and a finite "scale"/,
    );
    expect(
      edited((c) => (c.ttc_lab.confidence.running_sum = { after: '#', skip: '?', scale: 0.1 })),
    ).toThrow(/config\.json: running_sum token "#" is not in tinymath-prm\/tokenizer\.json/);
    // A newline tag (a PRM that reads solutions as written) is version 4 too.
    const tagged = (tag: string, version: number) => {
      const cfg = JSON.parse(files.config) as Cfg & { ttc_lab: { prm: { tag: string } } };
      cfg.ttc_lab.prm.tag = tag;
      cfg.ttc_lab.format_version = version;
      if (version < 4) delete (cfg.ttc_lab.confidence as { running_sum?: object }).running_sum;
      return parseExport({ ...files, config: JSON.stringify(cfg) }, 'prm');
    };
    expect(tagged('\n', 4).prmTokens?.tag).toBe(2);
    expect(() => tagged('\n', 3)).toThrow(
      /a PRM whose ttc_lab\.prm\.tag is the newline needs format_version 4 \(the file says 3\)/,
    );
    // Its weights have the third row of the projection.
    const two = syntheticTensors({ ...shape, confidence: { afterLayer: 1, floor: -12 } }, 1);
    expect(() => parseExport({ ...files, safetensors: encodeSafetensors(two) })).toThrow(
      /tensor "transformer\.conf\.weight" has shape \[2,16\], expected \[3,16\]/,
    );
  });

  it('reads a confidence input, and names what is wrong with a bad one', () => {
    const shape = { ...SHAPE, role: 'prm' as const, confidence: { afterLayer: 1, floor: -12 } };
    const e = parseExport(syntheticExport(shape, 1, 'tinymath-prm'), 'prm');
    expect(e.config.confidence).toEqual({ afterLayer: 1, floor: -12 });
    expect(e.weights.confidence?.weight.length).toBe(2 * SHAPE.nEmbd);
    // after_layer must leave blocks above it.
    const files = syntheticExport(shape, 1, 'tinymath-prm');
    const cfg = JSON.parse(files.config) as { ttc_lab: { confidence: { after_layer: number } } };
    cfg.ttc_lab.confidence.after_layer = 2;
    expect(() => parseExport({ ...files, config: JSON.stringify(cfg) })).toThrow(
      /tinymath-prm\/config\.json: ttc_lab\.confidence must give "after_layer" \(an integer from 1 to n_layer - 1 = 1\)/,
    );
    // A config that asks for the input needs its tensors.
    const tensors = syntheticTensors(shape, 1).filter((t) => t.name !== 'transformer.conf.weight');
    expect(() => parseExport({ ...files, safetensors: encodeSafetensors(tensors) })).toThrow(
      /tinymath-prm\/model\.safetensors: tensor "transformer\.conf\.weight" is missing \(expected shape \[2,16\]\)/,
    );
  });

  it('maps the PRM judgement tokens', () => {
    const e = parseExport(syntheticExport({ ...SHAPE, role: 'prm' }, 1, 'tinymath-prm'), 'prm');
    expect(e.prmTokens).toEqual({ tag: 21, good: 13, bad: 14 });
  });

  it('lays out a revision prompt: the question from 0, earlier attempts from 320', () => {
    const range = (a: number, n: number): number[] => Array.from({ length: n }, (_, i) => a + i);
    // A plain prompt, and a partial solution after it, count from 0.
    expect(promptPositions([...'Q:5,-3\n5-3=2\n'])).toEqual(range(0, 13));
    // The earlier attempts with their "-" lines count on from 320; the question and the new
    // attempt start at 0. A step that starts with a minus sign is not a separator.
    const prompt = '-5+1=-4\n-\nA:2\n-\nQ:5,-3\n5-3=';
    expect(promptPositions([...prompt])).toEqual([...range(320, 16), ...range(0, 11)]);
    // Earlier attempts too long to fit above 320 start lower, so every position is in the model.
    expect(promptPositions([...prompt], 330)).toEqual([...range(314, 16), ...range(0, 11)]);
  });

  it("reads a revision export: the generator's tensors and rules, no PRM tokens", () => {
    const e = parseExport(
      syntheticExport({ ...SHAPE, role: 'revision' }, 3, 'tinymath-rev'),
      'revision',
    );
    expect(e.config.role).toBe('revision');
    expect(e.prmTokens).toBeNull();
    expect(e.config.confidence ?? null).toBeNull();
    expect(e.weights.layers).toHaveLength(2);
    // Without an expected role any of the three is accepted; an unknown role names the three.
    expect(parseExport(syntheticExport({ ...SHAPE, role: 'revision' }, 3)).config.role).toBe(
      'revision',
    );
    const files = syntheticExport({ ...SHAPE, role: 'revision' }, 3, 'tinymath-rev');
    const cfg = JSON.parse(files.config) as { ttc_lab: { role: string } };
    cfg.ttc_lab.role = 'reviser';
    expect(() => parseExport({ ...files, config: JSON.stringify(cfg) })).toThrow(
      /tinymath-rev\/config\.json: ttc_lab\.role must be "generator", "revision" or "prm" \(got "reviser"\)/,
    );
  });

  it('names the file for a swapped folder, either way round', () => {
    // A generator export (or a PRM) where the revision model belongs...
    expect(() => parseExport(syntheticExport(SHAPE, 1, 'tinymath-rev'), 'revision')).toThrow(
      /tinymath-rev\/config\.json: ttc_lab\.role is "generator", expected "revision"/,
    );
    expect(() =>
      parseExport(syntheticExport({ ...SHAPE, role: 'prm' }, 1, 'tinymath-rev'), 'revision'),
    ).toThrow(/tinymath-rev\/config\.json: ttc_lab\.role is "prm", expected "revision"/);
    // ...and the revision model where the generator or the PRM belongs.
    const rev = (folder: string) => syntheticExport({ ...SHAPE, role: 'revision' }, 1, folder);
    expect(() => parseExport(rev('tinymath-gen'), 'generator')).toThrow(
      /tinymath-gen\/config\.json: ttc_lab\.role is "revision", expected "generator"/,
    );
    expect(() => parseExport(rev('tinymath-prm'), 'prm')).toThrow(
      /tinymath-prm\/config\.json: ttc_lab\.role is "revision", expected "prm"/,
    );
    expect(() => parseExport(rev('tinymath-prm'), 'prm')).toThrow(ModelFormatError);
  });

  it('refuses a revision export with a PRM or confidence block, naming the file', () => {
    const files = syntheticExport({ ...SHAPE, role: 'revision' }, 1, 'tinymath-rev');
    for (const [key, value] of [
      ['confidence', { after_layer: 1, floor: -12 }],
      ['prm', { tag: '?', good: '+', bad: '-' }],
    ] as const) {
      const cfg = JSON.parse(files.config) as { ttc_lab: Record<string, unknown> };
      cfg.ttc_lab[key] = value;
      expect(() => parseExport({ ...files, config: JSON.stringify(cfg) }, 'revision')).toThrow(
        new RegExp(`tinymath-rev/config\\.json: a revision export has no ttc_lab\\.${key} block`),
      );
    }
  });

  it('names the revision file and tensor for a truncated or incomplete revision export', () => {
    const shape = { ...SHAPE, role: 'revision' as const };
    const files = syntheticExport(shape, 1, 'tinymath-rev');
    const bytes = files.safetensors as Uint8Array;
    expect(() =>
      parseExport({ ...files, safetensors: bytes.slice(0, bytes.byteLength - 10) }, 'revision'),
    ).toThrow(
      /tinymath-rev\/model\.safetensors: file is truncated: tensor "transformer\.h\.1\.mlp\.c_proj\.bias"/,
    );
    const tensors = syntheticTensors(shape, 1).filter((t) => t.name !== 'transformer.ln_f.bias');
    expect(() =>
      parseExport({ ...files, safetensors: encodeSafetensors(tensors) }, 'revision'),
    ).toThrow(/tinymath-rev\/model\.safetensors: tensor "transformer\.ln_f\.bias" is missing/);
  });

  it('tells a revision prompt from a plain one exactly where the positions do', () => {
    const cases: [string, number][] = [
      ['Q:5,-3\n', 0],
      ['Q:5,-3\n5-3=2\nA:2\n', 0],
      // A step that starts with a minus sign, or a "-" inside a line, closes nothing.
      ['-5+1=-4\nQ:5,-3\n', 0],
      ['Q:5,-\n', 0],
      // Not closed by a newline yet.
      ['A:2\n-', 0],
      ['-\nQ:5,-3\n', 2],
      ['A:2\n-\nQ:5,-3\n', 6],
      ['-5+1=-4\n-\nA:2\n-\nQ:5,-3\n5-3=', 16],
    ];
    for (const [prompt, end] of cases) {
      const pieces = [...prompt];
      expect(earlierAttemptsEnd(pieces), JSON.stringify(prompt)).toBe(end);
      expect(isRevisionPrompt(pieces), JSON.stringify(prompt)).toBe(end > 0);
      // The question counts from 0 exactly where the earlier attempts end.
      expect(promptPositions(pieces).indexOf(0)).toBe(end);
    }
  });

  it('says which character is outside the vocabulary', () => {
    const e = parseExport(syntheticExport(SHAPE, 1));
    expect(() => e.tokenizer.encode('Q:1/2', 'prompt')).toThrow(/cannot read "\/" in the prompt/);
  });
});
