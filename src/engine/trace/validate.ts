/**
 * The trace validator. Shapes and ranges are checked by walking `TRACE_SCHEMA` itself (a small
 * interpreter for the handful of JSON Schema keywords the schema uses), so the validator and the
 * published schema are one set of rules. On top of that it checks what a schema cannot express:
 * event order, unique node ids, parents before children and references to existing nodes.
 */
import { TRACE_VERSION, type TraceFile } from './events';
import { TRACE_SCHEMA } from './schema';

/** Most problems listed in one validation result; the rest are counted in a final line. */
export const MAX_LISTED_ERRORS = 10;

/** The JSON Schema keywords the interpreter understands; a test checks the schema uses no others. */
export const SUPPORTED_SCHEMA_KEYWORDS: readonly string[] = [
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'enum',
  'const',
  'minimum',
  'maximum',
  'oneOf',
];

/** The subset of a JSON Schema node that the trace schema uses. */
export interface SchemaNode {
  $ref?: string;
  $defs?: Readonly<Record<string, SchemaNode>>;
  type?: string | readonly string[];
  properties?: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  items?: SchemaNode;
  minItems?: number;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  oneOf?: readonly SchemaNode[];
  description?: string;
}

export type TraceValidation =
  | { ok: true; trace: TraceFile }
  /** `errors` lists at most MAX_LISTED_ERRORS problems (plus a "... and N more" line); `problemCount` counts all. */
  | { ok: false; errors: string[]; problemCount: number };

const root = TRACE_SCHEMA as unknown as SchemaNode;

/** Collects error messages, keeping the first few and counting the rest. */
class Problems {
  readonly listed: string[] = [];
  total = 0;
  add(path: string, message: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_ERRORS) this.listed.push(`${path || 'trace'}: ${message}`);
  }
  result(): string[] {
    const more = this.total - this.listed.length;
    return more > 0
      ? [...this.listed, `... and ${more} more problem${more === 1 ? '' : 's'}`]
      : this.listed;
  }
}

function resolve(schema: SchemaNode): SchemaNode {
  let node = schema;
  // Refs may chain (a ref to a def that is itself a ref); the schema has no cycles through refs alone.
  for (let hops = 0; node.$ref !== undefined; hops++) {
    const match = /^#\/\$defs\/([^/]+)$/.exec(node.$ref);
    const target = match ? root.$defs?.[match[1] as string] : undefined;
    if (target === undefined || hops > 16) throw new Error(`trace schema: bad $ref ${node.$ref}`);
    node = target;
  }
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The JSON type of a value, for error messages and `type` checks. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    // JSON has no NaN or Infinity; an in-memory trace that holds them is not a valid trace.
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    default:
      throw new Error(`trace schema: unsupported type ${type}`);
  }
}

/** A short rendering of a value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value))
    return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function describeType(type: string, schema: SchemaNode): string {
  const { minimum: lo, maximum: hi } = schema;
  const numeric = (article: string, noun: string) => {
    if (lo !== undefined && hi !== undefined) return `${article} ${noun} in [${lo},${hi}]`;
    if (lo !== undefined) return `${article} ${noun} ≥ ${lo}`;
    if (hi !== undefined) return `${article} ${noun} ≤ ${hi}`;
    return `${article} ${noun}`;
  };
  switch (type) {
    case 'number':
      return numeric('a', 'number');
    case 'integer':
      return numeric('an', 'integer');
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    default:
      return `a ${type}`;
  }
}

/** What a schema node accepts, in plain words. */
function describeExpected(schema: SchemaNode): string {
  const s = resolve(schema);
  if ('const' in s) return JSON.stringify(s.const);
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (s.oneOf) return [...new Set(s.oneOf.map(describeExpected))].join(' or ');
  if (s.type === undefined) return 'any value';
  const types = typeof s.type === 'string' ? [s.type] : s.type;
  return types.map((t) => describeType(t, s)).join(' or ');
}

/** A property that every branch pins to a constant, like `type` for events or `kind` for strategies. */
function discriminator(branches: readonly SchemaNode[]): string | null {
  const first = branches[0]?.properties;
  if (!first) return null;
  for (const key of Object.keys(first)) {
    if (branches.every((b) => b.properties?.[key] !== undefined && 'const' in b.properties[key]!)) {
      return key;
    }
  }
  return null;
}

function couldMatch(schema: SchemaNode, value: unknown): boolean {
  const s = resolve(schema);
  if (s.type === undefined) return true;
  const types = typeof s.type === 'string' ? [s.type] : s.type;
  // A number of the wrong range still belongs to the numeric branch (for a better message).
  const kind = jsonType(value);
  return types.some(
    (t) => t === kind || ((t === 'integer' || t === 'number') && kind === 'number'),
  );
}

function validateOneOf(value: unknown, schema: SchemaNode, path: string, problems: Problems): void {
  const branches = (schema.oneOf ?? []).map(resolve);
  const key = isPlainObject(value) ? discriminator(branches) : null;
  if (key !== null && isPlainObject(value)) {
    const at = path ? `${path}.${key}` : key;
    const tag = value[key];
    const branch = branches.find((b) => b.properties?.[key]?.const === tag);
    if (branch) return validateNode(value, branch, path, problems);
    const allowed = branches.map((b) => JSON.stringify(b.properties?.[key]?.const)).join(', ');
    if (tag === undefined) problems.add(path, `missing field "${key}" (one of ${allowed})`);
    else problems.add(at, `expected one of ${allowed}, got ${describeValue(tag)}`);
    return;
  }
  const candidates = branches.filter((b) => couldMatch(b, value));
  if (candidates.length === 0) {
    problems.add(path, `expected ${describeExpected(schema)}, got ${describeValue(value)}`);
    return;
  }
  for (const candidate of candidates) {
    const trial = new Problems();
    validateNode(value, candidate, path, trial);
    if (trial.total === 0) return;
  }
  validateNode(value, candidates[0] as SchemaNode, path, problems);
}

function validateNode(value: unknown, schema: SchemaNode, path: string, problems: Problems): void {
  const s = resolve(schema);
  if (s.oneOf) return validateOneOf(value, s, path, problems);
  if ('const' in s) {
    if (value !== s.const) {
      problems.add(path, `expected ${JSON.stringify(s.const)}, got ${describeValue(value)}`);
    }
    return;
  }
  if (s.enum) {
    if (!s.enum.includes(value)) {
      problems.add(path, `expected ${describeExpected(s)}, got ${describeValue(value)}`);
    }
    return;
  }
  if (s.type !== undefined) {
    const types = typeof s.type === 'string' ? [s.type] : s.type;
    const inRange =
      typeof value !== 'number' ||
      ((s.minimum === undefined || value >= s.minimum) &&
        (s.maximum === undefined || value <= s.maximum));
    if (!types.some((t) => typeMatches(t, value)) || !inRange) {
      problems.add(path, `expected ${describeExpected(s)}, got ${describeValue(value)}`);
      return;
    }
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) {
      problems.add(path, `expected at least ${s.minItems} item(s), got ${value.length}`);
    }
    if (s.items) {
      for (let i = 0; i < value.length; i++)
        validateNode(value[i], s.items, `${path}[${i}]`, problems);
    }
  } else if (isPlainObject(value)) {
    const properties = s.properties ?? {};
    for (const key of s.required ?? []) {
      if (!(key in value) || value[key] === undefined) problems.add(path, `missing field "${key}"`);
    }
    for (const [key, item] of Object.entries(value)) {
      const sub = properties[key];
      const at = path ? `${path}.${key}` : key;
      if (sub !== undefined) {
        if (item !== undefined) validateNode(item, sub, at, problems);
      } else if (s.additionalProperties === false && item !== undefined) {
        problems.add(path, `unexpected field "${key}"`);
      }
    }
  }
}

/**
 * Check a value against the trace schema's rule for one definition (for example `'costs'`).
 * Returns the problems found, at most `MAX_LISTED_ERRORS` of them plus a count of the rest.
 *
 * @param value any JSON-like value
 * @param def a key of `TRACE_SCHEMA.$defs`
 * @param path how to name the value in messages, e.g. `events[3].delta`
 */
export function validateAgainstDef(
  value: unknown,
  def: keyof typeof TRACE_SCHEMA.$defs,
  path = '',
): string[] {
  const problems = new Problems();
  validateNode(value, { $ref: `#/$defs/${def}` }, path, problems);
  return problems.result();
}

/** Checks what the schema cannot express, for events that are individually well-formed. */
function checkSemantics(events: readonly unknown[], valid: readonly boolean[], problems: Problems) {
  const createdAt = new Map<string, number>();
  const last = events.length - 1;
  const exists = (id: unknown, at: string) => {
    if (typeof id === 'string' && !createdAt.has(id)) {
      problems.add(at, `unknown node ${JSON.stringify(id)} (no earlier node_created has this id)`);
    }
  };
  events.forEach((raw, i) => {
    const path = `events[${i}]`;
    if (!isPlainObject(raw)) return;
    const type = raw.type;
    if (i === 0 && type !== 'run_started') {
      problems.add(
        `${path}.type`,
        `the first event must be "run_started", got ${describeValue(type)}`,
      );
    }
    if (i > 0 && type === 'run_started') {
      problems.add(path, 'run_started may only be the first event');
    }
    if (type === 'run_finished' && i !== last) {
      const after = last - i;
      problems.add(
        path,
        `run_finished must be the last event (${after} event${after === 1 ? '' : 's'} follow it)`,
      );
    }
    if (type === 'node_created') {
      const id = raw.id;
      if (typeof id === 'string') {
        const earlier = createdAt.get(id);
        if (earlier !== undefined) {
          problems.add(
            `${path}.id`,
            `node id ${JSON.stringify(id)} is already used by events[${earlier}]`,
          );
        }
        if (valid[i]) {
          if (typeof raw.parent === 'string') {
            if (raw.parent === id)
              problems.add(`${path}.parent`, 'a node cannot be its own parent');
            else if (!createdAt.has(raw.parent)) {
              problems.add(
                `${path}.parent`,
                `unknown node ${JSON.stringify(raw.parent)} (a parent must be created before its children)`,
              );
            }
          }
          if (raw.kind === 'root' && raw.parent !== null) {
            problems.add(`${path}.parent`, 'a node of kind "root" must have parent null');
          }
        }
        // Register even malformed creations so one bad event does not cascade into many errors.
        if (earlier === undefined) createdAt.set(id, i);
      }
      return;
    }
    if (!valid[i]) return;
    switch (type) {
      case 'text_appended':
      case 'scored':
      case 'finished':
        exists(raw.id, `${path}.id`);
        break;
      case 'selected':
        if (raw.id !== null) exists(raw.id, `${path}.id`);
        break;
      case 'kept':
      case 'pruned':
        (raw.ids as unknown[]).forEach((id, j) => exists(id, `${path}.ids[${j}]`));
        break;
    }
  });
}

/**
 * Validate a parsed trace file: every event against the schema's rules (types, required fields,
 * finite numbers, scores in [0,1]) and the trace's semantics (run_started first, at most one
 * run_finished and it is last, unique node ids, parents before children, references to existing
 * nodes, a supported version).
 *
 * @param x the parsed JSON (or an in-memory object) to check
 * @returns the typed trace, or at most ~10 plain-words problems such as
 *   `events[12].score: expected a number in [0,1], got 1.7`
 */
export function validateTraceFile(x: unknown): TraceValidation {
  const problems = new Problems();
  if (!isPlainObject(x)) {
    problems.add('', `expected an object, got ${describeValue(x)}`);
    return { ok: false, errors: problems.result(), problemCount: problems.total };
  }
  if (
    x.format === 'ttc-lab-trace' &&
    typeof x.version === 'number' &&
    x.version !== TRACE_VERSION
  ) {
    // Other versions may differ in any event; checking their content against this schema is noise.
    problems.add(
      'version',
      `unsupported trace version ${x.version} (this build reads version ${TRACE_VERSION})`,
    );
    return { ok: false, errors: problems.result(), problemCount: problems.total };
  }
  // The file's own fields, then each event on its own, so we know which events are well-formed.
  const eventsSchema = root.properties?.events as SchemaNode;
  const topLevel: SchemaNode = {
    ...root,
    properties: { ...root.properties, events: { type: 'array', minItems: eventsSchema.minItems } },
  };
  validateNode(x, topLevel, '', problems);
  const events = x.events;
  if (Array.isArray(events)) {
    const itemSchema = eventsSchema.items as SchemaNode;
    const valid = events.map((event, i) => {
      const before = problems.total;
      validateNode(event, itemSchema, `events[${i}]`, problems);
      return problems.total === before;
    });
    checkSemantics(events, valid, problems);
  }
  if (problems.total > 0)
    return { ok: false, errors: problems.result(), problemCount: problems.total };
  return { ok: true, trace: x as unknown as TraceFile };
}
