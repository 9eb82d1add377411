import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppInsightsTelemetry } from '../../../shared/adapters/telemetry/appinsights';
import { loadSdk } from '../../../shared/adapters/telemetry/appinsightsSdk';
import { createTelemetry } from '../../../shared/app/container';
import { loadConfig } from '../../../shared/app/config';
import { openContainer } from '../../../shared/app/container';
import { silentLog } from '../../../shared/ports/log';
import { stopSettingsPoll } from './envelopes';

/** One App Insights client per process (issue 13.6): whoever asks, until it is closed. */

const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
const OTHER = 'InstrumentationKey=11111111-1111-1111-1111-111111111111;IngestionEndpoint=https://127.0.0.1:9/';
/** How many TelemetryClients the SDK has constructed in this process (its own count). */
const sdkClients = (): number => (loadSdk().TelemetryClient as unknown as { _instanceCount: number })._instanceCount;
const credential = () => ({ getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) });

describe('one App Insights client per process', () => {
  afterAll(stopSettingsPoll);

  it('forProcess gives every caller the same started client, builds the credential once, and a new client only after close', async () => {
    const before = sdkClients();
    const made = jest.fn(credential);
    const first = AppInsightsTelemetry.forProcess(CONNECTION_STRING, made);
    expect(AppInsightsTelemetry.forProcess(CONNECTION_STRING, made)).toBe(first);
    expect(AppInsightsTelemetry.forProcess(CONNECTION_STRING)).toBe(first);
    expect(sdkClients()).toBe(before + 1);
    expect(made).toHaveBeenCalledTimes(1);
    // Started at creation: its providers exist before any event (flush/close stay on this client).
    expect((first as unknown as { client: { _telemetryClientProvider?: unknown } }).client._telemetryClientProvider).toBeDefined();
    expect(() => AppInsightsTelemetry.forProcess(OTHER)).toThrow(/one client per process/);

    await first.close(); // the CLI's end
    const next = AppInsightsTelemetry.forProcess(CONNECTION_STRING, made);
    expect(next).not.toBe(first);
    expect(sdkClients()).toBe(before + 2);
    expect(made).toHaveBeenCalledTimes(2);
    await next.close();
  });

  it('createTelemetry returns the process client every time, signed in with the identity the authentication string names', async () => {
    const before = sdkClients();
    const config = loadConfig({
      TELEMETRY_KIND: 'appinsights',
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=22222222-2222-2222-2222-222222222222',
    });
    const a = createTelemetry(config);
    const b = createTelemetry(config);
    expect(a).toBeInstanceOf(AppInsightsTelemetry);
    expect(b).toBe(a);
    expect(AppInsightsTelemetry.forProcess(CONNECTION_STRING)).toBe(a);
    expect(sdkClients()).toBe(before + 1);
    const client = (a as unknown as { client: { config: { aadTokenCredential?: { constructor: { name: string } } } } }).client;
    expect(client.config.aadTokenCredential?.constructor.name).toBe('DefaultAzureCredential');
    await a.close?.();
  });

  it('containers opened twice in a process (a retried workerContainer start) share the client; closing them ends it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'one-client-'));
    const env = { LEADSCORE_HOME: home, TELEMETRY_KIND: 'appinsights', APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING };
    try {
      const before = sdkClients();
      const first = await openContainer({ env, log: silentLog });
      const second = await openContainer({ env, log: silentLog });
      expect(second.telemetry).toBe(first.telemetry);
      // An invocation's view of the container (its log) has the same client.
      for (const c of [first.withLog(silentLog), second.withLog(silentLog)]) expect(c.telemetry).toBe(first.telemetry);
      expect(sdkClients()).toBe(before + 1);
      await second.close();
      await first.close();
      const third = await openContainer({ env, log: silentLog });
      expect(third.telemetry).not.toBe(first.telemetry);
      await third.close();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
