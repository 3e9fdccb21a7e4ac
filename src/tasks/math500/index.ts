export * from './math500';
