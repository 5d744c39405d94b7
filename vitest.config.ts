import { defineConfig } from 'vitest/config';
// @ts-expect-error plain ESM helper without types
import { listProjects, workspaceAliases } from './tools/build/workspace.mjs';

const alias = workspaceAliases();

/** One vitest project per Nx project; tests sit next to the code (*.unit|int|e2e.test.ts). */
export default defineConfig({
  test: {
    passWithNoTests: true,
    projects: listProjects().map((p: { name: string; root: string }) => ({
      resolve: { alias },
      test: {
        name: p.name,
        root: p.root,
        include: ['src/**/*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
