import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Relative base so the built app also works from a sub-path (for example a lecture site).
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: 'localhost', port: 5173 },
  preview: { host: 'localhost', port: 4173, strictPort: true },
  build: { target: 'es2022', sourcemap: true },
});
