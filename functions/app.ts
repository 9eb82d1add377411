import { app } from '@azure/functions';
import { createTelemetry } from '../shared/app/container';
import { loadConfig } from '../shared/app/config';

// The Functions host loads every compiled file under dist/functions (package.json `main`).
// Each file binds one trigger to one pipeline step; this one only sets app-wide options.
app.setup({ enableHttpStream: false });

/*
 * The worker's one App Insights client is created and started when the app starts, after the host
 * has loaded these files and before it sends the first invocation; sharedServices() then gets the
 * same client (AppInsightsTelemetry.forProcess). A setting that is wrong is not fatal here: the first
 * invocation that opens the services reports it.
 */
app.hook.appStart(() => {
  try {
    const config = loadConfig();
    if (config.TELEMETRY_KIND === 'appinsights') createTelemetry(config);
  } catch (err) {
    console.warn(`appStart: telemetry not started (${err instanceof Error ? err.message : String(err)}); the first invocation will try again`);
  }
});
