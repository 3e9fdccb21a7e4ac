import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gsm8kTask, parseGsm8kJsonl } from '../tasks/gsm8k';
import { math500Task } from '../tasks/math500';
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

describe('benchmark tasks in links', () => {
  const gsm8k = parseGsm8kJsonl(
    readFileSync(new URL('../../public/data/gsm8k/test-subset.jsonl', import.meta.url), 'utf8'),
  );

  it('keeps a MATH-500 problem id while the problems are not loaded, and drops a foreign one', () => {
    expect(math500Task.isLoaded()).toBe(false);
    const s = settingsFromHash('#task=math500&level=4&problem=math-precalculus-807');
    expect(s).toMatchObject({ task: 'math500', level: 4, problemId: 'math-precalculus-807' });
    const foreign = settingsFromHash('#task=math500&level=4&problem=arith-L4-12');
    expect(foreign.problemId).toBe('');
  });

  it('round-trips a GSM8K run, and checks the problem once the problems are loaded', () => {
    gsm8kTask.setProblems(gsm8k);
    const problem = gsm8kTask.problemsAt(2)[5];
    if (!problem) throw new Error('no level-2 GSM8K problem');
    const s: RunSettings = {
      ...defaultSettings(),
      task: 'gsm8k',
      level: 2,
      problemId: problem.id,
      strategy: 'dvts',
      n: 16,
    };
    expect(settingsFromHash(`#${settingsToHash(s)}`)).toEqual(s);
    // A link whose problem is not at its level gets the level's first problem instead.
    const wrongLevel = settingsFromHash(`#task=gsm8k&level=4&problem=${problem.id}`);
    expect(wrongLevel.level).toBe(4);
    expect(gsm8kTask.problemById(wrongLevel.problemId)?.level).toBe(4);
  });

  it('gives chat-model tasks paragraph-sized token caps', () => {
    const arith = strategyConfigFor({ ...defaultSettings(), strategy: 'beam' });
    const chat = strategyConfigFor({ ...defaultSettings(), task: 'gsm8k', strategy: 'beam' });
    expect(chat.maxTokens).toBeGreaterThan(arith.maxTokens * 4);
    const bon = strategyConfigFor({
      ...defaultSettings(),
      task: 'math500',
      level: 5,
      strategy: 'best-of-n',
    });
    expect(bon.maxTokens).toBeLessThanOrEqual(1024);
  });
});
