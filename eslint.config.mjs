import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries (../shared/STYLE.md): apps never import apps; scope:X uses
 * only scope:X and scope:shared; pure layers (domain, protocol) import no I/O
 * frameworks.
 */
const io = ['fastify', 'fastify/*', '@fastify/*', 'kysely', 'pg', 'nats', '@opentelemetry/sdk-*', '@electric-sql/*'];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/data/**', '**/*.mjs', '**/vitest.config.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:protocol', 'type:contracts', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:protocol', 'type:contracts', 'type:util'], bannedExternalImports: io },
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol', 'type:util'], bannedExternalImports: io },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:protocol', 'type:util'], bannedExternalImports: io },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:domain', 'type:protocol', 'type:util'] },
            // The all-in-one composes every service's libraries in one process.
            { sourceTag: 'scope:all', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ingress', 'scope:policy', 'scope:ledger', 'scope:dns', 'scope:mak', 'scope:admin'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:ingress', onlyDependOnLibsWithTags: ['scope:ingress', 'scope:shared'] },
            { sourceTag: 'scope:policy', onlyDependOnLibsWithTags: ['scope:policy', 'scope:shared'] },
            { sourceTag: 'scope:ledger', onlyDependOnLibsWithTags: ['scope:ledger', 'scope:shared'] },
            { sourceTag: 'scope:dns', onlyDependOnLibsWithTags: ['scope:dns', 'scope:shared'] },
            { sourceTag: 'scope:mak', onlyDependOnLibsWithTags: ['scope:mak', 'scope:shared'] },
            { sourceTag: 'scope:admin', onlyDependOnLibsWithTags: ['scope:admin', 'scope:shared'] },
          ],
        },
      ],
    },
  },
];
