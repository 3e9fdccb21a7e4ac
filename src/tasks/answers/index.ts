export * from './extract';
export * from './normalize';
export * from './equivalence';
export * from './latexMath';
export * from './chatPrompt';
export * from './benchmark';
export * from './oracle';
