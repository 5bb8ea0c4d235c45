import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The layering rules in eslint.config.mjs only protect the design while they actually apply: a later
 * block in a flat config silently replaces an earlier block's rule. Each case feeds the real config a
 * file that breaks one boundary, at a path inside the folder it guards, and expects the error.
 */
const root = path.resolve(__dirname, '../..');

// ESLint loads its config with a dynamic import, which jest's VM cannot do, so one child process lints
// every snippet. Type-aware rules need files the TypeScript project knows; these snippets are virtual,
// so they are linted with the boundary rules alone.
const LINTER = `
const { ESLint } = require('eslint');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: {
  languageOptions: { parserOptions: { projectService: false } },
  rules: { '@typescript-eslint/no-floating-promises': 'off' } } });
(async () => {
  const out = [];
  for (const { file, code } of input) {
    const [r] = await eslint.lintText(code, { filePath: require('node:path').join(process.cwd(), file) });
    out.push(r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.fatal).map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

function lintAll(snippets: Array<{ file: string; code: string }>): string[][] {
  const res = spawnSync(process.execPath, ['-e', LINTER], { cwd: root, input: JSON.stringify(snippets), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`eslint failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as string[][];
}

const cases: Array<[string, string, string]> = [
  ['the domain imports botbuilder', 'src/domain/x.ts', "import { TurnContext } from 'botbuilder';"],
  ['the domain imports pg', 'src/domain/x.ts', "import { Pool } from 'pg';"],
  ['the domain imports bullmq', 'src/domain/x.ts', "import { Queue } from 'bullmq';"],
  ['the domain imports node:fs', 'src/domain/x.ts', "import { readFileSync } from 'node:fs';"],
  ['the domain imports restify', 'src/domain/x.ts', "import restify from 'restify';"],
  ['the domain imports the store', 'src/domain/x.ts', "import { CaseRepository } from '../store/caseRepository';"],
  ['the domain imports the bot', 'src/domain/x.ts', "import { createBot } from '../bot/index';"],
  ['the domain imports a reminders adapter', 'src/domain/x.ts', "import { createReminders } from '../reminders/index';"],
  ['the shared module imports pg', 'src/shared/x.ts', "import { Pool } from 'pg';"],
  ['the shared module imports node:fs', 'src/shared/x.ts', "import { readFileSync } from 'node:fs';"],
  ['the shared module imports botbuilder', 'src/shared/x.ts', "import { TurnContext } from 'botbuilder';"],
  ['the store imports botbuilder', 'src/store/x.ts', "import { TurnContext } from 'botbuilder';"],
  ['the app layer imports botbuilder-dialogs', 'src/app/x.ts', "import { Dialog } from 'botbuilder-dialogs';"],
  ['a card imports botbuilder', 'cards/x.ts', "import { CardFactory } from 'botbuilder';"],
  ['the reminders adapter imports botbuilder', 'src/reminders/x.ts', "import { TurnContext } from 'botbuilder';"],
];

const allowed: Array<[string, string, string]> = [
  ['the bot imports botbuilder', 'src/bot/x.ts', "import { TurnContext } from 'botbuilder';"],
  ['the teams adapter imports botbuilder', 'src/teams/x.ts', "import { TurnContext } from 'botbuilder';"],
  ['the domain imports luxon', 'src/domain/x.ts', "import { DateTime } from 'luxon';"],
  ['the shared module imports luxon', 'src/shared/x.ts', "import { DateTime } from 'luxon';"],
];

let results: string[][];
beforeAll(() => {
  results = lintAll([...cases, ...allowed].map(([, file, code]) => ({ file, code: `${code}\nexport {};\n` })));
}, 60_000);

test.each(cases.map((c, i) => [c[0], i] as const))('%s is an error', (_name, i) => {
  expect(results[i]).not.toHaveLength(0);
});

test.each(allowed.map((c, i) => [c[0], cases.length + i] as const))('%s is allowed', (_name, i) => {
  expect(results[i]).toEqual([]);
});
