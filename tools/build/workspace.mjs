// Workspace discovery shared by the build script and the vitest config:
// every folder under apps/, libs/ and tools/ with a project.json is a project.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** @returns {{ name: string, root: string, config: any }[]} */
export function listProjects() {
  const projects = [];
  for (const group of ['apps', 'libs', 'tools']) {
    const dir = join(workspaceRoot, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = join(dir, entry.name, 'project.json');
      if (!existsSync(file)) continue;
      const config = JSON.parse(readFileSync(file, 'utf8'));
      projects.push({ name: config.name, root: join(group, entry.name), config });
    }
  }
  return projects;
}

/** tsconfig.base.json paths as absolute aliases ('@kmsgrid/x' -> libs/x/src/index.ts). */
export function workspaceAliases() {
  const tsconfig = JSON.parse(readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8'));
  const aliases = {};
  for (const [name, [target]] of Object.entries(tsconfig.compilerOptions.paths ?? {})) {
    aliases[name] = join(workspaceRoot, target);
  }
  return aliases;
}
