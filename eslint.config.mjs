import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'deploy/appPackage/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { __dirname: 'readonly', module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The domain is pure: no framework, database, queue or HTTP imports.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: ['botbuilder*', 'bullmq', 'ioredis', 'pg', 'restify*', 'pino', 'node:*', 'fs', 'http', 'https', 'net', '../store/*', '../bot/*', '../teams/*', '../reminders/*'],
      }],
    },
  },
  {
    // botbuilder is confined to src/bot, src/teams and dialogs/ so a later SDK swap touches only those.
    files: ['src/**/*.ts', 'cards/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/bot/**', 'src/teams/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['botbuilder', 'botbuilder-*'] }],
    },
  },
);
