export * from './gsm8k';
