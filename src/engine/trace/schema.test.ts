import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import type { Costs, Problem, StrategyConfig } from '../types';
import type { TraceEvent, TraceEventType } from './events';
import { TRACE_SCHEMA } from './schema';
import { SUPPORTED_SCHEMA_KEYWORDS } from './validate';

const schemaPath = fileURLToPath(new URL('../../../docs/trace.schema.json', import.meta.url));

// Compile-time drift guard: each event's schema lists exactly the fields of its TypeScript type,
// and requires exactly its non-optional fields. Adding a field to events.ts without the schema
// (or the other way round) fails `tsc`.
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Defs = typeof TRACE_SCHEMA.$defs;
type PropsMatch<T, D extends { properties: object; required: readonly string[] }> = [
  Equal<keyof D['properties'], keyof T>,
  Equal<D['required'][number], RequiredKeys<T>>,
];
type EventsMatch = {
  [K in TraceEventType]: PropsMatch<Extract<TraceEvent, { type: K }>, Defs[K]>;
};
type StrategyMatch = {
  [
    I in 0 | 1 | 2 | 3 | 4 as Defs['strategy']['oneOf'][I]['properties']['kind']['const']
  ]: PropsMatch<
    Extract<StrategyConfig, { kind: Defs['strategy']['oneOf'][I]['properties']['kind']['const'] }>,
    Defs['strategy']['oneOf'][I]
  >;
};
const eventsMatch: EventsMatch = {
  run_started: [true, true],
  node_created: [true, true],
  text_appended: [true, true],
  scored: [true, true],
  kept: [true, true],
  pruned: [true, true],
  finished: [true, true],
  selected: [true, true],
  cost: [true, true],
  run_finished: [true, true],
};
const strategyMatch: StrategyMatch = {
  'best-of-n': [true, true],
  revisions: [true, true],
  beam: [true, true],
  lookahead: [true, true],
  dvts: [true, true],
};
const costsMatch: PropsMatch<Costs, Defs['costs']> = [true, true];
const problemMatch: PropsMatch<Problem, Defs['problem']> = [true, true];

function collectKeywords(node: unknown, into: Set<string>, underProperties = false): void {
  if (Array.isArray(node)) {
    for (const item of node) collectKeywords(item, into);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    // Keys of `properties` and `$defs` are names, not keywords.
    if (!underProperties) into.add(key);
    if (key === 'const' || key === 'enum') continue;
    collectKeywords(value, into, !underProperties && (key === 'properties' || key === '$defs'));
  }
}

describe('TRACE_SCHEMA', () => {
  it('covers every event type and matches the TypeScript types', () => {
    expect(Object.keys(eventsMatch).length).toBe(10);
    expect(Object.keys(strategyMatch).length).toBe(5);
    expect(costsMatch).toEqual([true, true]);
    expect(problemMatch).toEqual([true, true]);
    const refs = TRACE_SCHEMA.$defs.event.oneOf.map((b) => b.$ref.replace('#/$defs/', ''));
    expect(refs.sort()).toEqual(Object.keys(eventsMatch).sort());
  });

  it('uses only keywords the validator understands', () => {
    const used = new Set<string>();
    collectKeywords(TRACE_SCHEMA, used);
    const unsupported = [...used].filter((k) => !SUPPORTED_SCHEMA_KEYWORDS.includes(k));
    expect(unsupported).toEqual([]);
    expect(used.has('oneOf')).toBe(true);
  });

  it('equals docs/trace.schema.json (UPDATE_TRACE_SCHEMA=1 rewrites it; then run prettier on it)', () => {
    const text = `${JSON.stringify(TRACE_SCHEMA, null, 2)}\n`;
    if (process.env.UPDATE_TRACE_SCHEMA) writeFileSync(schemaPath, text);
    const onDisk = JSON.parse(readFileSync(schemaPath, 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(text));
  });
});
