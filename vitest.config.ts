import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The same import-as-text mechanism esbuild's `text` loader gives the bundles.
const wgslAsText = {
  name: 'wgsl-as-text',
  load(id: string) {
    if (!id.endsWith('.wgsl')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

export default defineConfig({
  plugins: [wgslAsText],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
