/*
 * The layers of the code and what each may import: the one list behind .dependency-cruiser.cjs (checked
 * by `npm run deps`, part of `npm test`) and docs/ARCHITECTURE.md. Imports point inwards only, so the
 * folders never import each other in a circle; test/integration/layers.test.ts proves this list itself
 * has no circle and that the check fails on a planted cycle or a forbidden import.
 *
 * Type-only imports count: a type is part of what a layer depends on.
 */

/** src/ root files every layer but the pure ones may use: logging, metrics, tracing hooks, config types. */
const PLATFORM = '^src/(log|metrics|traceContext|config)\\.ts$';

/** Each layer: the paths in it, and the layers it may import besides itself. */
const LAYERS = {
  shared: { path: '^src/shared/', may: [] },
  domain: { path: '^src/domain/', may: ['shared'] },
  cards: { path: '^cards/', may: ['domain', 'shared'] },
  platform: { path: PLATFORM, may: [] },
  store: { path: '^src/store/', may: ['domain', 'shared', 'platform'] },
  app: { path: '^src/app/', may: ['store', 'cards', 'domain', 'shared', 'platform'] },
  teams: { path: '^src/teams/', may: ['app', 'store', 'cards', 'domain', 'shared', 'platform'] },
  reminders: { path: '^src/reminders/', may: ['app', 'store', 'cards', 'domain', 'shared', 'platform'] },
  outbox: { path: '^src/outbox/', may: ['app', 'store', 'cards', 'domain', 'shared', 'platform'] },
  dialogs: { path: '^dialogs/', may: ['app', 'cards', 'domain', 'shared', 'platform'] },
  // The bot keeps its dialog state and conversation references in the store and offers the reminder
  // card actions, so it may reach the store and src/reminders directly as well as through src/app.
  bot: { path: '^src/bot/', may: ['dialogs', 'teams', 'reminders', 'app', 'store', 'cards', 'domain', 'shared', 'platform'] },
  // The coordinators' dashboard (/tab, /api/tab): an inbound adapter like the bot, reading through src/app's roles.
  tab: { path: '^src/tab/', may: ['app', 'store', 'cards', 'domain', 'shared', 'platform'] },
  // The local-mode simulator (/simulator) plays the Teams connector and moves the reminder queue's clock,
  // so it reaches src/reminders' queue helpers; only the composition root loads it, and only in local mode.
  simulator: { path: '^src/simulator/', may: ['reminders', 'store', 'domain', 'shared', 'platform'] },
  // The composition root wires everything together; nothing imports it.
  root: { path: '^src/(main|server|instrument|tracing|calendarFile)\\.ts$', may: ['*'] },
};

/** Every path the check looks at, so a folder added later must be given a layer before it is used. */
const SOURCE = '^(src|dialogs|cards)/';

function rules() {
  const names = Object.keys(LAYERS);
  const layered = [];
  for (const [name, layer] of Object.entries(LAYERS)) {
    if (layer.may.includes('*')) continue;
    const allowed = [layer.path, ...layer.may.map((m) => LAYERS[m].path)];
    layered.push({
      name: `layer-${name}`,
      comment: `${name} may import only ${[name, ...layer.may].join(', ')} (scripts/layers.cjs, docs/ARCHITECTURE.md)`,
      severity: 'error',
      from: { path: layer.path },
      to: { path: SOURCE, pathNot: allowed },
    });
  }
  return [
    {
      name: 'no-circular',
      comment: 'Files that import each other in a circle: move what both need into a third module, or pass it in.',
      severity: 'error',
      from: { path: SOURCE },
      // A circle closed only by a type import is gone once compiled (a type beside the constant that
      // uses it); the layer rules below still count type imports between folders.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-in-a-layer',
      comment: 'Every source file belongs to a layer in scripts/layers.cjs: add the new folder there and to docs/ARCHITECTURE.md.',
      severity: 'error',
      from: { path: SOURCE, pathNot: names.map((n) => LAYERS[n].path) },
      to: {},
    },
    {
      name: 'not-into-a-layer',
      comment: 'Every imported source file belongs to a layer in scripts/layers.cjs: add the new folder there and to docs/ARCHITECTURE.md.',
      severity: 'error',
      from: {},
      to: { path: SOURCE, pathNot: names.map((n) => LAYERS[n].path) },
    },
    ...layered,
  ];
}

module.exports = { LAYERS, SOURCE, rules };
