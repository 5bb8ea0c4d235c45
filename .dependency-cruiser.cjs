/** Import rules between the folders: see scripts/layers.cjs (the rules) and docs/ARCHITECTURE.md (why). */
const { SOURCE, rules } = require('./scripts/layers.cjs');

module.exports = {
  forbidden: rules(),
  options: {
    includeOnly: SOURCE,
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
