import { defineConfig } from 'vitest/config';

/**
 * WebGPU tests (`npm run test:gpu`): the runtime's kernels through Dawn (the `webgpu` package).
 * Here they run on SwiftShader, a CPU Vulkan driver: correct but slow, so inputs stay small and
 * files run one at a time. The npm script sets LD_LIBRARY_PATH and VK_ICD_FILENAMES, which the
 * Vulkan loader reads at process start.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['src/runtime/**/*.gpu.test.ts'],
    environment: 'node',
    env: { TTC_GPU_TESTS: '1' },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
