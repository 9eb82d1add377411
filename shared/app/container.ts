/* eslint-disable @typescript-eslint/no-require-imports -- see "Loaded on demand" below */
import { LocalLake } from '../adapters/lake/local';
import { LedgerMonitor } from '../adapters/monitor/ledger';
import { JsonlTelemetry } from '../adapters/telemetry/jsonl';
import { simulate } from '../simulate/simulate';
import type { Lake } from '../ports/lake';
import type { Ledger } from '../ports/ledger';
import { logTo, type Log } from '../ports/log';
import type { MonitorQueries } from '../ports/monitor';
import type { Telemetry } from '../ports/telemetry';
import type { Warehouse } from '../ports/warehouse';
import type { UseCases } from './useCases';
import { abResults, startAbTest, stopAbTest, type AbDeps } from './abTest';
import { ActiveModelCache } from './activeModel';
import { calibrationThresholds, freshnessLimits, promotionRule, retrainSettings } from './settings';
import { gradeShares, lakeRoot, ledgerFile, loadConfig, telemetryFile, warehouseFile, type Config } from './config';
import { checkDriftAndRespond, type DriftDeps } from './drift';
import { clearChallenger, setChallenger, type ChallengerDeps } from './challenger';
import { ingestDate, ingestRange } from './ingest';
import { collectLabelsRange, collectPendingLabels } from './labels';
import { completeFeaturesDates } from './partitions';
import { retrain, type RetrainDeps } from './retrain';
import { exportServedScores } from './scoresExport';
import { scorePartition, type ScoringDeps } from './scoring';
import { statusSnapshot } from './status';
import { trainFromFiles, type FileTrainingRun } from './trainFiles';
import { trainFromLake } from './trainFromLake';
import { backfillTrainingMeans, deployVersion, listVersions, registerVersion, rollback, type VersionDeps } from './versions';

/**
 * The composition root: the one place that reads configuration and builds adapters. Every door — a
 * function in functions/, a command in cli/ — opens a container and calls its use cases, which take
 * the ports and settings built here; nothing else constructs an adapter (npm run lint enforces it).
 */

/*
 * Loaded on demand: the Azure adapters pull in their SDKs (the App Insights client is the
 * largest; bench:coldstart and the README's cold-start figures measure them), so they are required
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

function createLake(config: Config): Lake {
  switch (config.LAKE_KIND) {
    case 'local':
      return new LocalLake(lakeRoot(config));
    case 'adls': {
      if (!config.LAKE_ACCOUNT_URL) throw new Error('LAKE_KIND=adls needs LAKE_ACCOUNT_URL (https://<account>.dfs.core.windows.net)');
      return azure.adls().AdlsLake.create(config.LAKE_ACCOUNT_URL, config.LAKE_FILESYSTEM, credential(config.AZURE_CLIENT_ID));
    }
  }
}

function createWarehouse(config: Config, log: Log): Warehouse {
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
        log: (m) => log.warn(m),
      });
  }
}

function createLedger(config: Config): Ledger {
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

/** The telemetry of `config`: one App Insights client per process, whoever asks first (the appStart hook). */
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
        const parts = Object.fromEntries(
          auth
            .split(';')
            .filter(Boolean)
            .map((kv) => kv.split('=').map((x) => x.trim()) as [string, string]),
        );
        if (parts.Authorization !== 'AAD') throw new Error(`APPLICATIONINSIGHTS_AUTHENTICATION_STRING: expected Authorization=AAD, got "${auth}"`);
        entra = () => credential(parts.ClientId);
      }
      // One client per process, whoever asks (the appStart hook, every sharedServices() start, the CLI).
      return azure.appInsights().AppInsightsTelemetry.forProcess(config.APPLICATIONINSIGHTS_CONNECTION_STRING, entra);
    }
  }
}

/** Where GET /api/status reads the latest drift numbers: Log Analytics when a workspace is set, else the ledger. */
function createMonitor(config: Config, ledger: Ledger): MonitorQueries {
  if (config.LOG_ANALYTICS_WORKSPACE_ID) {
    return new (azure.logAnalytics().LogAnalyticsMonitor)(config.LOG_ANALYTICS_WORKSPACE_ID, credential(config.AZURE_CLIENT_ID), config.PSI_THRESHOLD);
  }
  return new LedgerMonitor(ledger);
}

export interface Container {
  readonly config: Config;
  readonly lake: Lake;
  readonly warehouse: Warehouse;
  readonly ledger: Ledger;
  readonly telemetry: Telemetry;
  readonly monitor: MonitorQueries;
  readonly log: Log;
  /** The active model, cached in the process for POST /api/score (a version stamp, see ActiveModelCache). */
  readonly activeModel: ActiveModelCache;
  readonly useCases: UseCases;
  /** The same ports and cache, the use cases logging to `log` (a Functions invocation's context). */
  withLog(log: Log): Container;
  close(): Promise<void>;
}

interface Ports {
  config: Config;
  lake: Lake;
  warehouse: Warehouse;
  ledger: Ledger;
  telemetry: Telemetry;
  monitor: MonitorQueries;
  activeModel: ActiveModelCache;
}

function useCases(p: Ports, log: Log): UseCases {
  const { config, lake, warehouse, ledger, telemetry } = p;
  const exportChunkRows = config.SCORE_CHUNK_ROWS;
  const scoring: ScoringDeps = { lake, warehouse, ledger, telemetry, log, maxBadFraction: config.SCORE_MAX_BAD_FRACTION, chunkRows: config.SCORE_CHUNK_ROWS };
  const versions: VersionDeps = { lake, warehouse, telemetry, log, exportChunkRows };
  const retrainDeps: RetrainDeps = {
    lake,
    warehouse,
    ledger,
    telemetry,
    log,
    exportChunkRows,
    settings: retrainSettings(config),
  };
  const drift: DriftDeps = {
    lake,
    warehouse,
    ledger,
    telemetry,
    log,
    psiThreshold: config.PSI_THRESHOLD,
    aucDropThreshold: config.AUC_DROP_THRESHOLD,
    recentDays: config.RECENT_AUC_DAYS,
    performanceBaseline: config.PERFORMANCE_BASELINE,
    freshness: freshnessLimits(config),
  };
  const challengerDeps: ChallengerDeps = {
    lake,
    warehouse,
    telemetry,
    log,
    exportChunkRows,
    rule: promotionRule(config),
    autoDeploy: config.AUTO_DEPLOY,
    freshness: drift.freshness,
  };
  const ab: AbDeps = { lake, warehouse, telemetry, log };
  const ingest = { maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE, log };
  const labels = { windowDays: config.LABEL_WINDOW_DAYS, maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE, log };
  // A version change in this process is seen by its own scores at once, not a stamp later.
  const changed = <T>(r: T): T => {
    p.activeModel.invalidate();
    return r;
  };
  return {
    ingestDate: (date) => ingestDate(lake, date, ingest),
    ingestRange: (from, to) => ingestRange(lake, from, to, ingest),
    collectPendingLabels: () => collectPendingLabels(lake, labels),
    collectLabelsRange: (from, to) => collectLabelsRange(lake, from, to, labels),
    simulate: (options) => simulate(lake, { ...options, log: (m) => log.info(m) }),
    trainFromLake: (options) =>
      trainFromLake(lake, {
        C: options.C ?? config.TRAIN_C,
        brierThreshold: config.CALIBRATION_BRIER_THRESHOLD,
        gradeShares: gradeShares(config),
        calibration: calibrationThresholds(config),
        trainDays: config.TRAIN_DAYS,
        validDays: config.VALID_DAYS,
        ...(options.asOf ? { asOf: options.asOf } : {}),
      }),
    registerVersion: (input) => registerVersion(versions, input),
    completeFeaturesDates: () => completeFeaturesDates(lake),
    scorePartition: (path, options) => scorePartition(scoring, path, options),
    exportServedScores: (runId) => exportServedScores({ lake, warehouse, chunkRows: exportChunkRows, runId }),
    deploy: async (version, options) => changed(await deployVersion(versions, version, options)),
    rollback: async (options) => changed(await rollback(versions, options)),
    listVersions: () => listVersions(versions),
    retrain: (request) => retrain(retrainDeps, request),
    checkDrift: (date) => checkDriftAndRespond(drift, retrainDeps, date, config.DRIFT_RETRAIN, challengerDeps),
    setChallenger: (version, opts) => setChallenger(challengerDeps, version, opts),
    clearChallenger: (by) => clearChallenger(challengerDeps, by),
    startAbTest: (req) => startAbTest(ab, req),
    stopAbTest: (by) => stopAbTest(ab, by),
    abResults: () => abResults(ab),
    status: () => statusSnapshot({ lake, warehouse, ledger, monitor: p.monitor }),
    migrate: async () => {
      const applied = await warehouse.migrate();
      return { applied, mended: await backfillTrainingMeans(versions) };
    },
    queueRun: (run) => ledger.putRun(run),
    getRun: (id) => ledger.getRun(id),
  };
}

function container(p: Ports, log: Log): Container {
  return {
    ...p,
    log,
    useCases: useCases(p, log),
    withLog: (other) => container(p, other),
    close: async () => {
      await (p.telemetry.close ? p.telemetry.close() : p.telemetry.flush());
      await p.warehouse.close();
      await p.ledger.close?.();
    },
  };
}

export interface OpenOptions {
  /** The settings' source (process.env by default). */
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** False: leave the embedded warehouse's schema as it is (`leadscore migrate` applies it). */
  migrate?: boolean;
}

/** The ports of the configuration, wired, with the use cases bound to them. Close it when done. */
export async function openContainer(options: OpenOptions = {}): Promise<Container> {
  const config = loadConfig(options.env);
  const log =
    options.log ??
    logTo(
      (m) => console.log(m),
      (m) => console.warn(m),
      (m) => console.error(m),
    );
  // Built in turn; a setting that is wrong closes what was opened before it, and says what is wrong.
  const opened: { close(): Promise<void> }[] = [];
  try {
    const lake = createLake(config);
    const warehouse = createWarehouse(config, log);
    opened.push(warehouse);
    const ledger = createLedger(config);
    opened.push({ close: async () => ledger.close?.() });
    const telemetry = createTelemetry(config);
    const c = container(
      {
        config,
        lake,
        warehouse,
        ledger,
        telemetry,
        monitor: createMonitor(config, ledger),
        activeModel: new ActiveModelCache(warehouse, config.ACTIVE_MODEL_STAMP_MS),
      },
      log,
    );
    // The embedded SQLite warehouse migrates itself so the local default needs no setup step;
    // Azure SQL is migrated only by the post-provision step or an explicit `leadscore migrate`.
    if (warehouse.engine === 'sqlite' && options.migrate !== false) {
      const applied = await warehouse.migrate();
      // Versions registered before the warehouse kept training means get them from their model.json.
      if (applied.includes('002_served_by_sql')) await backfillTrainingMeans({ lake, warehouse, log });
    }
    return c;
  } catch (err) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw err;
  }
}

let processContainer: Promise<Container> | undefined;

/**
 * One container per Functions worker process, built on first use (the SQL pool, the cached model and
 * the telemetry client live as long as the worker); a failed start is retried by the next invocation.
 */
export function workerContainer(): Promise<Container> {
  processContainer ??= openContainer().catch((err: unknown) => {
    processContainer = undefined;
    throw err;
  });
  return processContainer;
}

/** The settings as the configuration gives them now (`leadscore config` prints them). */
export function currentSettings(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(env);
}

/**
 * `leadscore train --train --valid --out`: the file mode, which needs no port (no lake, warehouse or
 * ledger is opened), with C and the calibration thresholds from the settings unless given.
 */
export function trainFiles(trainFile: string, validFile: string, outDir: string, options: { C?: number } = {}): Promise<FileTrainingRun> {
  const config = loadConfig();
  return trainFromFiles(trainFile, validFile, outDir, {
    C: options.C ?? config.TRAIN_C,
    brierThreshold: config.CALIBRATION_BRIER_THRESHOLD,
    gradeShares: gradeShares(config),
    calibration: calibrationThresholds(config),
  });
}

/** The worker's telemetry client, created when the app starts (functions/app.ts), before any invocation. */
export function startTelemetry(): void {
  const config = loadConfig();
  if (config.TELEMETRY_KIND === 'appinsights') createTelemetry(config);
}
