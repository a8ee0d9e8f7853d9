import { defineConfig } from 'vitest/config';
import { GROUPS } from './scripts/mutation-modules.mjs';

// The fast, process-free unit tests that pin the pure modules Stryker mutates
// (stryker.config.mjs sets MUTATION_TESTS to the tests of the group it mutates).
const include: string[] = process.env.MUTATION_TESTS
  ? JSON.parse(process.env.MUTATION_TESTS)
  : Object.values(GROUPS).flatMap((g) => g.tests);

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include,
    environment: 'node',
    // These tests share no state, and one worker reused for every mutant saves the
    // module loading that would otherwise dominate each run.
    isolate: false,
  },
});
