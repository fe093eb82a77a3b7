import { defineConfig } from 'vitest/config';

// Workspaces export their TypeScript sources under the "source" condition, so tests run against
// src/ directly while Node (the CLI, spawned processes) loads the built dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'modules/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/bench/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Memory a connection lends to its data handler (Connection.lendReads) is overwritten once
    // the handler returns unless it was kept: a view kept by mistake shows as wrong bytes in
    // any test, not as a rare corruption under load.
    env: { SCALESTACK_POISON_LENT_READS: '1' },
  },
});
