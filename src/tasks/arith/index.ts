export * from './arith';
