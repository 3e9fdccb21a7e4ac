import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Pages: the app, plus a WebGPU parity self-test page that the end-to-end tests open.
const input: Record<string, string> = { main: here('./index.html') };
if (existsSync(here('./parity.html'))) input.parity = here('./parity.html');

// Relative base so the built app also works from a sub-path (for example a lecture site).
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: 'localhost', port: 5173 },
  preview: { host: 'localhost', port: 4173, strictPort: true },
  build: {
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: { input },
  },
});
