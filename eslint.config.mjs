import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'deploy/appPackage/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { sourceType: 'commonjs', globals: { __dirname: 'readonly', module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    // The tab page's scripts run in the browser (Teams' webview), loaded as plain scripts.
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(['window', 'document', 'fetch', 'URL', 'URLSearchParams', 'Node', 'getComputedStyle', 'setTimeout', 'Promise', 'microsoftTeams', 'Chart'].map((g) => [g, 'readonly'])),
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits fails silently: a lost send, a lost reminder. Await it, or mark it with void and a .catch.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The domain is pure: no framework, database, queue or HTTP imports. So is src/shared, which every
    // layer may import (the folder rules between layers are in scripts/layers.cjs).
    files: ['src/domain/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: ['botbuilder*', 'bullmq', 'ioredis', 'pg', 'restify*', 'pino', 'node:*', 'fs', 'http', 'https', 'net', '../store/*', '../bot/*', '../teams/*', '../reminders/*'],
      }],
    },
  },
  {
    // botbuilder is confined to src/bot, src/teams and dialogs/ so a later SDK swap touches only those.
    // src/domain and src/shared are left out: their own block above already forbids botbuilder, and flat config would
    // let this block's rule replace that one whole (it did, unnoticed, until test/integration/lintBoundaries).
    files: ['src/**/*.ts', 'cards/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/bot/**', 'src/teams/**', 'src/domain/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['botbuilder', 'botbuilder-*'] }],
    },
  },
);
