/**
 * Test doubles for the engine: a scripted backend and scripted verifiers. Not exported from the
 * engine barrel on purpose: nothing user-facing should reach for them by accident.
 */
export * from './scriptedModel';
export * from './arithScripts';
export * from './harness';
export * from './traceChecks';
