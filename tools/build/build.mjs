#!/usr/bin/env node
// Bundles an app or tool (apps/<name>/src/main.ts, tools/<name>/src/main.ts) into
// dist/<group>/<name>/main.js. Workspace libraries are bundled in; every npm
// package stays external and is loaded from node_modules at run time, so native
// and wasm assets (pg, PGlite) keep working. A bundle that includes
// event-store's PGlite worker launcher gets the worker's own bundle beside it
// (dist/<group>/<name>/pglite-worker.js), which the launcher loads.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listProjects, workspaceAliases, workspaceRoot } from './workspace.mjs';

const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const names = args.filter((a) => !a.startsWith('--'));
const aliases = workspaceAliases();

const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      // Workspace libraries by exact alias (`@kmsgrid/x/testing` is its own entry, not a sub-path).
      if (Object.hasOwn(aliases, args.path)) return { path: aliases[args.path] };
      if (args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const targets = listProjects().filter(
  (p) => (names.length === 0 || names.includes(p.name)) && existsSync(join(workspaceRoot, p.root, 'src/main.ts')),
);
if (names.length > 0 && targets.length !== names.length) {
  console.error(`build: unknown app or tool in ${names.join(', ')}`);
  process.exit(2);
}
/** Worker threads a bundle starts: [module that starts it, the worker's entry, its bundle's name beside main.js]. */
const WORKERS = [['libs/event-store/src/pglite-thread.ts', 'libs/event-store/src/pglite-worker.ts', 'pglite-worker.js']];

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [externalPackages],
  logLevel: quiet ? 'warning' : 'info',
  banner: { js: "import { createRequire as __kmsgridCreateRequire } from 'node:module'; const require = __kmsgridCreateRequire(import.meta.url);" },
};
for (const p of targets) {
  const outdir = join(workspaceRoot, 'dist', p.root);
  const { metafile } = await build({ ...common, entryPoints: [join(workspaceRoot, p.root, 'src/main.ts')], outfile: join(outdir, 'main.js'), metafile: true });
  for (const [launcher, entry, name] of WORKERS) {
    if (!Object.hasOwn(metafile.inputs, launcher)) continue;
    await build({ ...common, entryPoints: [join(workspaceRoot, entry)], outfile: join(outdir, name) });
  }
}
