import { describe, expect, it } from 'vitest';
import {
  URL_PARAMS,
  defaultSettings,
  normalizeSettings,
  runKey,
  settingsFromHash,
  settingsToHash,
  strategyConfigFor,
  type RunSettings,
} from './settings';

describe('URL hash table', () => {
  it('round-trips every setting, so a link reproduces the run', () => {
    const s: RunSettings = {
      ...defaultSettings(),
      task: 'arith',
      level: 2,
      problemId: 'arith-L2-987654',
      strategy: 'lookahead',
      n: 32,
      beamWidth: 8,
      lookahead: 3,
      chains: 4,
      temperature: 1.15,
      aggregation: 'min',
      selection: 'naive',
      verifier: 'oracle',
      seed: 424242,
      speed: 0.5,
      presentation: true,
    };
    const back = settingsFromHash(`#${settingsToHash(s)}`);
    expect(back).toEqual(s);
  });

  it('writes every field of RunSettings (no setting is left out of links)', () => {
    const fields = new Set(URL_PARAMS.map((p) => p.field));
    expect([...fields].sort()).toEqual(Object.keys(defaultSettings()).sort());
    const keys = URL_PARAMS.map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores invalid values and keeps defaults for them', () => {
    const d = defaultSettings();
    const s = settingsFromHash('#n=3&strategy=evil&temp=abc&seed=-1&verifier=<script>&m=8', d);
    expect(s.n).toBe(d.n);
    expect(s.strategy).toBe(d.strategy);
    expect(s.temperature).toBe(d.temperature);
    expect(s.seed).toBe(d.seed);
    expect(s.verifier).toBe(d.verifier);
    // m=8 is valid and fits the default N=8, so it is kept.
    expect(s.beamWidth).toBe(8);
  });

  it('takes the level from the problem a link names', () => {
    const s = settingsFromHash('#problem=arith-L5-77');
    expect(s.level).toBe(5);
    expect(s.problemId).toBe('arith-L5-77');
  });

  it('replaces a problem that does not fit the level', () => {
    const s = settingsFromHash('#problem=arith-L5-77&level=2');
    expect(s.level).toBe(2);
    expect(s.problemId).toMatch(/^arith-L2-/);
  });
});

describe('normalizeSettings', () => {
  it('lowers the beam width when N drops below it for search strategies', () => {
    const s = normalizeSettings({ ...defaultSettings(), strategy: 'beam', n: 2, beamWidth: 8 });
    expect(s.beamWidth).toBe(2);
    expect(s.n).toBe(2);
  });
  it('gives tree search a verifier: it cannot rank steps without one', () => {
    const s = normalizeSettings({ ...defaultSettings(), strategy: 'dvts', verifier: 'none' });
    expect(s.verifier).toBe('prm');
    const b = normalizeSettings({ ...defaultSettings(), strategy: 'best-of-n', verifier: 'none' });
    expect(b.verifier).toBe('none');
  });
  it('keeps chains at most N', () => {
    const s = normalizeSettings({ ...defaultSettings(), strategy: 'revisions', n: 4, chains: 16 });
    expect(s.chains).toBe(4);
  });
});

describe('strategyConfigFor', () => {
  it('maps each strategy with its own parameters', () => {
    const base = defaultSettings();
    const beam = strategyConfigFor({ ...base, strategy: 'beam', n: 16, beamWidth: 4 });
    expect(beam).toMatchObject({ kind: 'beam', n: 16, beamWidth: 4 });
    const look = strategyConfigFor({ ...base, strategy: 'lookahead', lookahead: 2 });
    expect(look).toMatchObject({ kind: 'lookahead', lookahead: 2 });
    const rev = strategyConfigFor({ ...base, strategy: 'revisions', n: 8, chains: 2 });
    expect(rev).toMatchObject({ kind: 'revisions', chains: 2, selection: 'verifier' });
  });
  it('falls back to majority selection without a verifier', () => {
    const base = {
      ...defaultSettings(),
      verifier: 'none' as const,
      selection: 'weighted' as const,
    };
    expect(strategyConfigFor({ ...base, strategy: 'best-of-n' })).toMatchObject({
      selection: 'majority',
    });
    expect(strategyConfigFor({ ...base, strategy: 'revisions' })).toMatchObject({
      selection: 'majority',
    });
  });
  it('gives harder levels longer token caps', () => {
    const l1 = strategyConfigFor({ ...defaultSettings(), strategy: 'best-of-n', level: 1 });
    const l5 = strategyConfigFor({ ...defaultSettings(), strategy: 'best-of-n', level: 5 });
    expect(l5.maxTokens).toBeGreaterThan(l1.maxTokens);
  });
});

describe('runKey', () => {
  it('ignores playback speed and presentation, but not the seed', () => {
    const s = defaultSettings();
    expect(runKey({ ...s, speed: 8, presentation: true })).toBe(runKey(s));
    expect(runKey({ ...s, seed: s.seed + 1 })).not.toBe(runKey(s));
  });
});
