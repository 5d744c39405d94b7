#!/usr/bin/env node
// Bundles protocol-micro.ts the way apps are shipped (esbuild, no keepNames:
// tsx's transform wraps every inner function in a naming helper, which skews
// micro-benchmarks) and runs it with the remaining arguments.
//   node tools/kms-bench/micro/run.mjs [--baseline <other copy>/libs/kms-protocol/src/index.ts] [bench args]
// --baseline bundles that copy of the library too, for an in-process A/B run.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { workspaceAliases, workspaceRoot } from '../../build/workspace.mjs';

const argv = process.argv.slice(2);
const outDir = join(workspaceRoot, 'dist/tools/kms-bench/micro');
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, packages: 'external', logLevel: 'warning' };
const at = argv.indexOf('--baseline');
if (at >= 0) {
  const baselineOut = join(outDir, 'baseline-kms-protocol.js');
  await build({ ...common, entryPoints: [resolve(argv[at + 1])], outfile: baselineOut });
  argv.splice(at, 2, '--baseline-bundle', baselineOut);
}
const outfile = join(outDir, 'protocol-micro.js');
await build({ ...common, entryPoints: [join(workspaceRoot, 'tools/kms-bench/micro/protocol-micro.ts')], outfile, alias: workspaceAliases() });
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const r = spawnSync(process.execPath, ['--enable-source-maps', ...nodeArgs, outfile, ...argv], { stdio: 'inherit' });
process.exit(r.status ?? 1);
