import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DialogSet } from 'botbuilder-dialogs';
import { botHandlers, type HandlerServices } from '../../src/bot';
import { helpEntries, helpFor, type HelpScope } from '../../src/bot/registry';

/*
 * Issue 14, item 4: `help` and the Teams manifest's command menus come from one place, the command
 * registry (src/bot/index.ts, each command's `help`). The manifest template is written by hand, so
 * this checks it says exactly what the registry does, scope by scope.
 */

function commands() {
  const untouched = <T extends object>(name: string): T =>
    new Proxy({} as T, { get: (_t, key) => { throw new Error(`${name}.${String(key)} was used while only listing commands`); } });
  const s: HandlerServices = {
    triage: untouched('triage'), assignment: untouched('assignment'), offers: untouched('offers'), roster: untouched('roster'),
    progress: untouched('progress'), details: untouched('details'), reminders: untouched('reminders'), audit: untouched('audit'), holds: untouched('holds'), erasure: untouched('erasure'),
    roles: async () => { throw new Error('roles asked while listing'); }, log: untouched('log'),
  };
  return botHandlers(s, { intake: untouched('intake'), dialogs: new DialogSet(), shownTo: async () => undefined }).commands;
}

interface ManifestCommands {
  bots: { commandLists: { scopes: HelpScope[]; commands: { title: string; description: string }[] }[] }[];
}
const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../deploy/appPackage/manifest.template.json'), 'utf8')) as ManifestCommands;
const SCOPES: HelpScope[] = ['personal', 'team', 'groupChat'];

describe("the manifest's command lists are the registry's advertised commands", () => {
  const list = commands();

  test.each(SCOPES)('%s: the same commands, titles and descriptions, in the same order', (scope) => {
    const inManifest = manifest.bots[0]!.commandLists.filter((l) => l.scopes.includes(scope)).flatMap((l) => l.commands);
    const fromRegistry = helpEntries(list).filter((h) => h.scopes.includes(scope)).map((h) => ({ title: h.title, description: h.description }));
    expect(inManifest).toEqual(fromRegistry);
  });

  test("within Teams' limits: at most 10 commands a scope, titles of 32 characters, descriptions of 128", () => {
    for (const l of manifest.bots[0]!.commandLists) expect(l.commands.length).toBeLessThanOrEqual(10);
    for (const h of helpEntries(list)) {
      expect(h.title.length).toBeLessThanOrEqual(32);
      expect(h.description.length).toBeLessThanOrEqual(128);
    }
  });

  test('every advertised title is a command the bot answers (typed as shown, with its argument)', () => {
    for (const h of helpEntries(list)) {
      const typed = (h.usage ?? h.title).toLowerCase().replace(/@name/g, '').replace(/\s+/g, ' ').trim();
      const answered = list.some((c) => ('texts' in c ? c.texts.includes(typed) : c.pattern.test(typed)));
      expect({ typed, answered }).toEqual({ typed, answered: true });
    }
  });

  test('help by role: coordinators see the roster and case commands, facilitators their own, referrers theirs', () => {
    const titles = (roles: { coordinator: boolean; facilitator: boolean }, scope: HelpScope) => helpFor(list, roles, scope).map((h) => h.title);
    expect(titles({ coordinator: true, facilitator: false }, 'personal')).toEqual(['help', 'refer', 'my referrals', 'roster', 'roster history', 'cases', 'overdue', 'case', 'contact']);
    expect(titles({ coordinator: true, facilitator: false }, 'team')).toEqual(['help', 'use this channel for referrals', 'roster', 'roster history', 'roster add', 'roster remove']);
    expect(titles({ coordinator: false, facilitator: true }, 'personal')).toEqual(['help', 'refer', 'my referrals', 'my cases', 'overdue', 'case', 'contact']);
    expect(titles({ coordinator: false, facilitator: false }, 'personal')).toEqual(['help', 'refer', 'my referrals']);
  });
});
