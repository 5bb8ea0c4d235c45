// The production rehearsal's process: the built app (dist/) started through the same runMain that
// `node dist/src/main.js` runs, given the test's locally served Bot Framework endpoints (OpenID
// metadata, token issuer, login authority), which no environment variable can set. Everything else
// comes from the environment, as in production.
const path = require('node:path');
const { runMain } = require(path.resolve(__dirname, '../../dist/src/main.js'));

const endpoints = process.env.RJ_TEST_BOT_FRAMEWORK_ENDPOINTS;
if (!endpoints) {
  console.error('rehearsalEntry: RJ_TEST_BOT_FRAMEWORK_ENDPOINTS is not set');
  process.exit(1);
}
runMain({ botFrameworkEndpoints: JSON.parse(endpoints) }).catch((err) => {
  console.error(`RJ Referrals failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
