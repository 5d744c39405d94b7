import { defineConfig } from 'vitest/config';
// @ts-expect-error plain ESM helper without types
import { listProjects, workspaceAliases } from './tools/build/workspace.mjs';

// Exact matches, so `@kmsgrid/x/testing` is not read as a sub-path of `@kmsgrid/x`.
const alias = Object.entries(workspaceAliases() as Record<string, string>).map(([name, target]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: target,
}));

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
