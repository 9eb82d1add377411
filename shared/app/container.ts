/* eslint-disable @typescript-eslint/no-require-imports -- see "Loaded on demand" below */
import type { Config } from './config';
import { lakeRoot, ledgerFile, telemetryFile, warehouseFile } from './config';
import type { Lake } from '../ports/lake';
import { LocalLake } from '../adapters/lake/local';
import type { Warehouse } from '../ports/warehouse';
import type { Ledger } from '../ports/ledger';
import type { Telemetry } from '../ports/telemetry';
import { JsonlTelemetry } from '../adapters/telemetry/jsonl';
import type { MonitorQueries } from '../ports/monitor';
import { LedgerMonitor } from '../adapters/monitor/ledger';

/*
 * Loaded on demand: the Azure adapters pull in their SDKs (the App Insights client still costs about
 * 0.5 s and 25 MiB once narrowed, see adapters/telemetry/appinsightsSdk.ts), so they are required
 * only when configuration picks them. The local CLI and npm start never load them.
 */
const azure = {
  identity: () => require('@azure/identity') as typeof import('@azure/identity'),
  adls: () => require('../adapters/lake/adls') as typeof import('../adapters/lake/adls'),
  mssql: () => require('../adapters/warehouse/mssql') as typeof import('../adapters/warehouse/mssql'),
  retry: () => require('../adapters/warehouse/retry') as typeof import('../adapters/warehouse/retry'),
  tables: () => require('../adapters/ledger/tables') as typeof import('../adapters/ledger/tables'),
  appInsights: () => require('../adapters/telemetry/appinsights') as typeof import('../adapters/telemetry/appinsights'),
  logAnalytics: () => require('../adapters/monitor/logAnalytics') as typeof import('../adapters/monitor/logAnalytics'),
};

/*
 * The embedded adapters are loaded on demand too: they import node:sqlite, which prints an
 * ExperimentalWarning on Node 22 and is never used in Azure (WAREHOUSE_KIND=mssql, LEDGER_KIND=tables),
 * yet every function module reaches this file.
 */
const embedded = {
  warehouse: () => require('../adapters/warehouse/sqlite') as typeof import('../adapters/warehouse/sqlite'),
  ledger: () => require('../adapters/ledger/sqlite') as typeof import('../adapters/ledger/sqlite'),
};

function credential(clientId: string | undefined) {
  const { DefaultAzureCredential } = azure.identity();
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

/**
 * The composition root: the one place that reads configuration and chooses adapters.
 * Pipeline steps receive ports; they never construct adapters themselves.
 */
export function createLake(config: Config): Lake {
  switch (config.LAKE_KIND) {
    case 'local':
      return new LocalLake(lakeRoot(config));
    case 'adls': {
      if (!config.LAKE_ACCOUNT_URL) throw new Error('LAKE_KIND=adls needs LAKE_ACCOUNT_URL (https://<account>.dfs.core.windows.net)');
      return azure.adls().AdlsLake.create(config.LAKE_ACCOUNT_URL, config.LAKE_FILESYSTEM, credential(config.AZURE_CLIENT_ID));
    }
  }
}

export function createWarehouse(config: Config, log?: (message: string) => void): Warehouse {
  switch (config.WAREHOUSE_KIND) {
    case 'sqlite':
      return new (embedded.warehouse().SqliteWarehouse)(warehouseFile(config));
    case 'mssql':
      if (!config.SQL_SERVER || !config.SQL_DATABASE) throw new Error('WAREHOUSE_KIND=mssql needs SQL_SERVER and SQL_DATABASE');
      return new (azure.mssql().MssqlWarehouse)({
        server: config.SQL_SERVER,
        database: config.SQL_DATABASE,
        managedIdentityClientId: config.AZURE_CLIENT_ID,
        poolMax: config.SQL_POOL_MAX,
        retry: { ...azure.retry().DEFAULT_RETRY, attempts: config.SQL_RETRY_ATTEMPTS },
        log,
      });
  }
}

export function createLedger(config: Config): Ledger {
  switch (config.LEDGER_KIND) {
    case 'sqlite':
      return new (embedded.ledger().SqliteLedger)(ledgerFile(config));
    case 'tables': {
      if (config.LEDGER_TABLES_CONNECTION_STRING) {
        return azure.tables().TableLedger.fromConnectionString(config.LEDGER_TABLES_CONNECTION_STRING, config.LEDGER_TABLE);
      }
      if (!config.LEDGER_TABLES_URL) {
        throw new Error('LEDGER_KIND=tables needs LEDGER_TABLES_URL (https://<account>.table.core.windows.net) or LEDGER_TABLES_CONNECTION_STRING');
      }
      return azure.tables().TableLedger.fromUrl(config.LEDGER_TABLES_URL, config.LEDGER_TABLE, credential(config.AZURE_CLIENT_ID));
    }
  }
}

export function createTelemetry(config: Config): Telemetry {
  switch (config.TELEMETRY_KIND) {
    case 'jsonl':
      return new JsonlTelemetry(telemetryFile(config));
    case 'appinsights': {
      if (!config.APPLICATIONINSIGHTS_CONNECTION_STRING) throw new Error('TELEMETRY_KIND=appinsights needs APPLICATIONINSIGHTS_CONNECTION_STRING');
      const auth = config.APPLICATIONINSIGHTS_AUTHENTICATION_STRING;
      let entra: (() => ReturnType<typeof credential>) | undefined;
      if (auth) {
        // App Service's format: "Authorization=AAD" (system identity) or "Authorization=AAD;ClientId=<id>".
        const parts = Object.fromEntries(auth.split(';').filter(Boolean).map((kv) => kv.split('=').map((x) => x.trim()) as [string, string]));
        if (parts.Authorization !== 'AAD') throw new Error(`APPLICATIONINSIGHTS_AUTHENTICATION_STRING: expected Authorization=AAD, got "${auth}"`);
        entra = () => credential(parts.ClientId);
      }
      // One client per process, whoever asks (the appStart hook, every sharedServices() start, the CLI).
      return azure.appInsights().AppInsightsTelemetry.forProcess(config.APPLICATIONINSIGHTS_CONNECTION_STRING, entra);
    }
  }
}

/** Where GET /api/status reads the latest drift numbers: Log Analytics when a workspace is set, else the ledger. */
export function createMonitor(config: Config, ledger: Ledger): MonitorQueries {
  if (config.LOG_ANALYTICS_WORKSPACE_ID) {
    return new (azure.logAnalytics().LogAnalyticsMonitor)(config.LOG_ANALYTICS_WORKSPACE_ID, credential(config.AZURE_CLIENT_ID), config.PSI_THRESHOLD);
  }
  return new LedgerMonitor(ledger);
}
