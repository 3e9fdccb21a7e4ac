/**
 * Saving and loading trace files. Loading never throws: every way a file can be wrong (not JSON,
 * cut short, some other kind of file, a version this build cannot read, bad content) becomes one
 * message a person can act on.
 */
import { TRACE_VERSION, type TraceEvent, type TraceFile } from './events';
import { validateTraceFile } from './validate';

export const TRACE_FORMAT = 'ttc-lab-trace';

/** How many validator problems `parseTraceFile` puts into its message. */
const ERRORS_IN_MESSAGE = 5;

export type TraceParseResult = { ok: true; trace: TraceFile } | { ok: false; error: string };

/**
 * A trace as the text of a `.json` file: `{format: 'ttc-lab-trace', version, events}`, pretty-printed.
 *
 * @param events the run's events, in order
 */
export function serializeTrace(events: readonly TraceEvent[]): string {
  const file: TraceFile = { format: TRACE_FORMAT, version: TRACE_VERSION, events: [...events] };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Whether JSON text ends inside an unclosed string, object or array (a truncated download). */
function endsEarly(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return inString || depth > 0;
}

const EVENT_TYPES = new Set([
  'run_started',
  'node_created',
  'text_appended',
  'scored',
  'kept',
  'pruned',
  'finished',
  'selected',
  'cost',
  'run_finished',
]);

function quoteKeys(keys: string[]): string {
  const shown = keys.slice(0, 5).map((k) => `"${k}"`);
  return keys.length > 5 ? `${shown.join(', ')}, ...` : shown.join(', ');
}

/** A guess at what a parsed JSON value is, for the "this is not a trace" message. */
function describeForeign(value: unknown): string {
  if (Array.isArray(value)) {
    const looksLikeEvents =
      value.length > 0 &&
      value.every(
        (e) =>
          e !== null &&
          typeof e === 'object' &&
          EVENT_TYPES.has((e as { type?: unknown }).type as string),
      );
    return looksLikeEvents
      ? 'a bare list of trace events without the file wrapper'
      : `a JSON array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (value === null) return 'JSON null';
  if (typeof value !== 'object') return `a single JSON ${typeof value}`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (typeof obj.format === 'string') return `a "${obj.format}" file`;
  if ('ttc_lab' in obj || 'n_embd' in obj) return 'a model config.json';
  if ('model' in obj && ('added_tokens' in obj || 'pre_tokenizer' in obj)) {
    return 'a tokenizer.json';
  }
  if ('inputs' in obj && 'tolerance' in obj) return "a model's golden.json";
  if ('events' in obj) return 'an object with "events" but no "format": "ttc-lab-trace" field';
  if (keys.length === 0) return 'an empty JSON object';
  return `a JSON object with the fields ${quoteKeys(keys)}`;
}

/**
 * Parse the text of a trace file. Never throws.
 *
 * @param text the file's contents
 * @returns the validated trace, or one message saying what is wrong: not JSON, cut short, another
 *   kind of file, an unsupported version, or the first few content problems from the validator
 */
export function parseTraceFile(text: string): TraceParseResult {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { ok: false, error: 'The file is empty.' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    const start = body.trimStart()[0];
    if ((start === '{' || start === '[') && endsEarly(body)) {
      return {
        ok: false,
        error: `The file ends too early: it looks like a JSON file that was cut short (${detail}).`,
      };
    }
    return { ok: false, error: `This file is not JSON (${detail}).` };
  }
  const wrapper = value as Partial<Record<string, unknown>> | null;
  if (
    wrapper === null ||
    typeof wrapper !== 'object' ||
    Array.isArray(wrapper) ||
    wrapper.format !== TRACE_FORMAT
  ) {
    return {
      ok: false,
      error:
        `This is not a ttc-lab trace: it looks like ${describeForeign(value)}. ` +
        `A trace file is a JSON object {"format": "${TRACE_FORMAT}", "version": ${TRACE_VERSION}, "events": [...]}.`,
    };
  }
  const version = wrapper.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return { ok: false, error: 'This ttc-lab trace has no valid "version" number.' };
  }
  if (version !== TRACE_VERSION) {
    const which = version > TRACE_VERSION ? 'a newer' : 'an older';
    return {
      ok: false,
      error: `This trace uses ${which} format (version ${version}); this version of ttc-lab reads trace version ${TRACE_VERSION} only.`,
    };
  }
  const result = validateTraceFile(value);
  if (result.ok) return result;
  const listed = result.errors.filter((e) => !e.startsWith('... and'));
  const shown = listed.slice(0, ERRORS_IN_MESSAGE);
  const total = result.problemCount;
  const rest = total - shown.length;
  const lines = shown.map((e) => `  ${e}`);
  if (rest > 0) lines.push(`  ... and ${rest} more`);
  return {
    ok: false,
    error: `This trace is not valid (${total} problem${total === 1 ? '' : 's'}):\n${lines.join('\n')}`,
  };
}
