import { app } from '@azure/functions';
import { startTelemetry } from '../shared/app/container';

// The Functions host loads every compiled file under dist/functions (package.json `main`).
// Each file binds one trigger to one use case; this one only sets app-wide options.
app.setup({ enableHttpStream: false });

/*
 * The worker's one App Insights client is created and started when the app starts, after the host
 * has loaded these files and before it sends the first invocation; workerContainer() then gets the
 * same client. A setting that is wrong is not fatal here: the first invocation that opens the
 * container reports it.
 */
app.hook.appStart(() => {
  try {
    startTelemetry();
  } catch (err) {
    console.warn(`appStart: telemetry not started (${err instanceof Error ? err.message : String(err)}); the first invocation will try again`);
  }
});
