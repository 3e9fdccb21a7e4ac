import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Dev/build config for the WebLLM picker harness only (not part of the app build). The project
 * root stays the repository, so public/ (the GSM8K data) is served as in the app.
 */
export default defineConfig({
  root: here('../../../../..'),
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: 'localhost', port: 5174 },
  preview: { host: 'localhost', port: 4174, strictPort: true },
  build: {
    target: 'es2022',
    // Outside the repository: this build is a check, never shipped.
    outDir: process.env.HARNESS_OUT ?? join(tmpdir(), 'ttc-lab-webllm-harness'),
    emptyOutDir: true,
    rolldownOptions: { input: { harness: here('./index.html') } },
  },
});
