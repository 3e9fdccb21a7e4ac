/** Budget sweeps: pass@k, pool-based best-of-N curves, difficulty bins, compute-optimal scaling. */
export * from './stats';
export * from './units';
export * from './pool';
export * from './bins';
export * from './computeOptimal';
export * from './runner';
export * from './summary';
