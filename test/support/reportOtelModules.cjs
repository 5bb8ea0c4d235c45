// Preloaded (node --require) into an app process by test/e2e/tracing.test.ts: when the process exits it
// says how many OpenTelemetry modules (the SDK, instrumentations, bullmq-otel) it had loaded.
process.on('exit', () => {
  const loaded = Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/](@opentelemetry[\\/](?!api[\\/])|bullmq-otel[\\/])/.test(f));
  process.stdout.write(`\nOTEL_MODULES_LOADED ${loaded.length}\n`);
});
