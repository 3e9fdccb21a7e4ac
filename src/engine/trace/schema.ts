/**
 * The JSON Schema (draft 2020-12) of a saved trace file. `docs/trace.schema.json` is this object
 * written out (a test keeps the two equal), and `validate.ts` checks files against this very object,
 * so the schema, the docs and the validator cannot drift apart.
 *
 * The schema covers shapes and ranges. What it cannot say (event order, node ids that must exist,
 * unique ids) is checked by `validateTraceFile` on top of it.
 */
import { TRACE_VERSION } from './events';

const nonNegativeNumber = { type: 'number', minimum: 0 } as const;
const nonNegativeInteger = { type: 'integer', minimum: 0 } as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;
const unitInterval = { type: 'number', minimum: 0, maximum: 1 } as const;
const nodeId = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const verifierKind = { enum: ['prm', 'oracle', 'judge'] } as const;

/** Fields every strategy setting has (see `CommonSettings` in types.ts). */
const commonSettings = {
  n: positiveInteger,
  temperature: nonNegativeNumber,
  topP: unitInterval,
  aggregation: { enum: ['last', 'min', 'product'] },
  maxTokens: positiveInteger,
} as const;
const commonRequired = ['kind', 'n', 'temperature', 'topP', 'aggregation', 'maxTokens'] as const;

export const TRACE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ttc-lab.local/schemas/trace.schema.json',
  title: 'ttc-lab trace',
  description:
    'One strategy run as a list of events. Replay them in order with the reducer to rebuild the ' +
    'search tree at any point. Beyond this schema, a valid trace starts with run_started, ends with ' +
    'at most one run_finished, creates each node id once, creates parents before children and only ' +
    'refers to nodes that exist.',
  type: 'object',
  properties: {
    format: { const: 'ttc-lab-trace' },
    version: { const: TRACE_VERSION },
    events: { type: 'array', minItems: 1, items: { $ref: '#/$defs/event' } },
  },
  required: ['format', 'version', 'events'],
  additionalProperties: false,
  $defs: {
    event: {
      oneOf: [
        { $ref: '#/$defs/run_started' },
        { $ref: '#/$defs/node_created' },
        { $ref: '#/$defs/text_appended' },
        { $ref: '#/$defs/scored' },
        { $ref: '#/$defs/kept' },
        { $ref: '#/$defs/pruned' },
        { $ref: '#/$defs/finished' },
        { $ref: '#/$defs/selected' },
        { $ref: '#/$defs/cost' },
        { $ref: '#/$defs/run_finished' },
      ],
    },
    costs: {
      type: 'object',
      properties: {
        generations: nonNegativeNumber,
        generatedTokens: nonNegativeInteger,
        promptTokens: nonNegativeInteger,
        verifierTokens: nonNegativeInteger,
        flops: nonNegativeNumber,
      },
      required: ['generations', 'generatedTokens', 'promptTokens', 'verifierTokens', 'flops'],
      additionalProperties: false,
    },
    problem: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        taskId: { type: 'string' },
        level: positiveInteger,
        question: { type: 'string' },
        answer: { type: 'string' },
        data: { description: 'Task-specific structure; any JSON value.' },
      },
      required: ['id', 'taskId', 'level', 'question', 'answer'],
      additionalProperties: false,
    },
    strategy: {
      oneOf: [
        {
          type: 'object',
          properties: {
            kind: { const: 'best-of-n' },
            ...commonSettings,
            selection: { enum: ['naive', 'majority', 'weighted'] },
          },
          required: [...commonRequired, 'selection'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: {
            kind: { const: 'revisions' },
            ...commonSettings,
            chains: positiveInteger,
            selection: { enum: ['verifier', 'majority'] },
          },
          required: [...commonRequired, 'chains', 'selection'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: {
            kind: { const: 'beam' },
            ...commonSettings,
            beamWidth: positiveInteger,
            maxRounds: positiveInteger,
          },
          required: [...commonRequired, 'beamWidth', 'maxRounds'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: {
            kind: { const: 'lookahead' },
            ...commonSettings,
            beamWidth: positiveInteger,
            lookahead: nonNegativeInteger,
            maxRounds: positiveInteger,
          },
          required: [...commonRequired, 'beamWidth', 'lookahead', 'maxRounds'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: {
            kind: { const: 'dvts' },
            ...commonSettings,
            beamWidth: positiveInteger,
            maxRounds: positiveInteger,
          },
          required: [...commonRequired, 'beamWidth', 'maxRounds'],
          additionalProperties: false,
        },
      ],
    },
    run_started: {
      type: 'object',
      properties: {
        type: { const: 'run_started' },
        version: { const: TRACE_VERSION },
        runId: { type: 'string' },
        task: {
          type: 'object',
          properties: { id: { type: 'string' }, label: { type: 'string' } },
          required: ['id', 'label'],
          additionalProperties: false,
        },
        problem: { $ref: '#/$defs/problem' },
        model: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            label: { type: 'string' },
            parameterCount: nonNegativeNumber,
          },
          required: ['id', 'label', 'parameterCount'],
          additionalProperties: false,
        },
        verifier: {
          oneOf: [
            {
              type: 'object',
              properties: {
                id: { type: 'string' },
                label: { type: 'string' },
                kind: verifierKind,
                parameterCount: nonNegativeNumber,
              },
              required: ['id', 'label', 'kind', 'parameterCount'],
              additionalProperties: false,
            },
            { type: 'null' },
          ],
        },
        strategy: { $ref: '#/$defs/strategy' },
        seed: { type: 'integer' },
      },
      required: [
        'type',
        'version',
        'runId',
        'task',
        'problem',
        'model',
        'verifier',
        'strategy',
        'seed',
      ],
      additionalProperties: false,
    },
    node_created: {
      type: 'object',
      properties: {
        type: { const: 'node_created' },
        id: nodeId,
        parent: { type: ['string', 'null'] },
        kind: { enum: ['root', 'step', 'answer', 'attempt'] },
        round: nonNegativeInteger,
        lane: nonNegativeInteger,
      },
      required: ['type', 'id', 'parent', 'kind'],
      additionalProperties: false,
    },
    text_appended: {
      type: 'object',
      properties: {
        type: { const: 'text_appended' },
        id: nodeId,
        text: { type: 'string' },
        tokens: nonNegativeInteger,
        logprobs: { type: 'array', items: { type: 'number', maximum: 0 } },
      },
      required: ['type', 'id', 'text', 'tokens'],
      additionalProperties: false,
    },
    scored: {
      type: 'object',
      properties: {
        type: { const: 'scored' },
        id: nodeId,
        score: unitInterval,
        stepScores: { type: 'array', items: unitInterval },
        source: { enum: ['prm', 'oracle', 'judge', 'lookahead'] },
        rollout: { type: 'string' },
        rolloutTokens: nonNegativeInteger,
      },
      required: ['type', 'id', 'score', 'stepScores', 'source'],
      additionalProperties: false,
    },
    kept: {
      type: 'object',
      properties: {
        type: { const: 'kept' },
        ids: { type: 'array', items: nodeId },
        round: nonNegativeInteger,
      },
      required: ['type', 'ids', 'round'],
      additionalProperties: false,
    },
    pruned: {
      type: 'object',
      properties: {
        type: { const: 'pruned' },
        ids: { type: 'array', items: nodeId },
        round: nonNegativeInteger,
      },
      required: ['type', 'ids', 'round'],
      additionalProperties: false,
    },
    finished: {
      type: 'object',
      properties: {
        type: { const: 'finished' },
        id: nodeId,
        answer: nullableString,
        correct: { type: 'boolean' },
        reason: { enum: ['answer', 'eos', 'length', 'max_rounds', 'aborted'] },
      },
      required: ['type', 'id', 'answer', 'correct', 'reason'],
      additionalProperties: false,
    },
    selected: {
      type: 'object',
      properties: {
        type: { const: 'selected' },
        id: { type: ['string', 'null'] },
        answer: nullableString,
        correct: { type: 'boolean' },
        method: { enum: ['naive', 'majority', 'weighted'] },
        votes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              answer: { type: 'string' },
              count: nonNegativeInteger,
              weight: nonNegativeNumber,
              correct: { type: 'boolean' },
            },
            required: ['answer', 'count', 'weight', 'correct'],
            additionalProperties: false,
          },
        },
      },
      required: ['type', 'id', 'answer', 'correct', 'method', 'votes'],
      additionalProperties: false,
    },
    cost: {
      type: 'object',
      properties: { type: { const: 'cost' }, delta: { $ref: '#/$defs/costs' } },
      required: ['type', 'delta'],
      additionalProperties: false,
    },
    run_finished: {
      type: 'object',
      properties: {
        type: { const: 'run_finished' },
        status: { enum: ['completed', 'cancelled', 'error'] },
        answer: nullableString,
        correct: { type: 'boolean' },
        costs: { $ref: '#/$defs/costs' },
        error: { type: 'string' },
      },
      required: ['type', 'status', 'answer', 'correct', 'costs'],
      additionalProperties: false,
    },
  },
} as const;
