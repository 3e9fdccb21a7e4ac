import { defineConfig } from '@playwright/test';
// @ts-expect-error plain ESM helper without types
import { findChromium } from './scripts/ensure-chromium.mjs';

const executablePath: string = (findChromium() as string | null) ?? '/usr/bin/chromium';

const baseArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** WebGPU on SwiftShader (a CPU Vulkan): correct but slow. The app then picks its CPU path. */
const webgpuArgs = [...baseArgs, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: 'http://localhost:4173/',
    viewport: { width: 1280, height: 720 },
    headless: true,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /\.nowebgpu\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: webgpuArgs } },
    },
    {
      // No WebGPU at all: the app must run on its CPU path and say so.
      name: 'no-webgpu',
      testMatch: /\.(nowebgpu|both)\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: [...baseArgs, '--disable-webgpu'] } },
    },
  ],
  webServer: {
    command: 'npx vite preview --port 4173 --strictPort',
    url: 'http://localhost:4173/',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
