import path from 'node:path';
import { defineConfig } from 'vitest/config';

// One project per workspace: `npm test -w <workspace>` runs just that one.
const workspaces = ['protocol', 'kit', 'e2e', 'station-server', 'station-ui', 'processor', 'gallery', 'kiosk'];

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    projects: [
      ...workspaces.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: path.join(import.meta.dirname, name),
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      })),
      // The festival under faults: every part fails in turn while stations keep filming.
      {
        extends: true as const,
        test: {
          name: 'faults',
          root: path.join(import.meta.dirname, 'e2e'),
          include: ['faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
