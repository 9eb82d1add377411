import { createLake, createLedger, createMonitor, createTelemetry, createWarehouse } from './container';
import { loadConfig, type Config } from './config';
import type { DriftDeps } from './drift';
import type { RetrainDeps } from './retrain';
import type { ScoringDeps } from './scoring';
import type { VersionDeps } from './versions';
import type { Lake } from '../ports/lake';
import type { Ledger } from '../ports/ledger';
import type { MonitorQueries } from '../ports/monitor';
import type { Telemetry } from '../ports/telemetry';
import type { Warehouse } from '../ports/warehouse';
import { backfillTrainingMeans } from './versions';

/**
 * Every port wired from configuration, and the dependency bundles of the pipeline steps built from
 * them. The CLI opens one per command; the Functions keep one per process (SQL pool, cached model).
 */
export interface Services {
  config: Config;
  lake: Lake;
  warehouse: Warehouse;
  ledger: Ledger;
  telemetry: Telemetry;
  monitor: MonitorQueries;
  scoring: ScoringDeps;
  versions: VersionDeps;
  retrain: RetrainDeps;
  drift: DriftDeps;
  close(): Promise<void>;
}

export async function openServices(options: { log?: (message: string) => void; env?: NodeJS.ProcessEnv; migrate?: boolean } = {}): Promise<Services> {
  const config = loadConfig(options.env);
  const log = options.log;
  const lake = createLake(config);
  const warehouse = createWarehouse(config, log);
  const ledger = createLedger(config);
  const telemetry = createTelemetry(config);
  // The embedded SQLite warehouse migrates itself so the local default needs no setup step;
  // Azure SQL is migrated only by the post-provision step or an explicit `leadscore migrate`.
  if (warehouse.engine === 'sqlite' && options.migrate !== false) {
    const applied = await warehouse.migrate();
    // Versions registered before the warehouse kept training means get them from their model.json.
    if (applied.includes('002_served_by_sql')) await backfillTrainingMeans({ lake, warehouse, ...(log ? { log } : {}) });
  }
  const scoring: ScoringDeps = {
    lake,
    warehouse,
    ledger,
    maxBadFraction: config.SCORE_MAX_BAD_FRACTION,
    chunkRows: config.SCORE_CHUNK_ROWS,
    // The step emits ScoringFailed itself; the alert callback only makes it loud in the log.
    alert: (name, properties) => log?.(`ALERT ${name}: ${JSON.stringify(properties)}`),
    telemetry,
    ...(log ? { log } : {}),
  };
  const versions: VersionDeps = { lake, warehouse, telemetry, exportChunkRows: config.SCORE_CHUNK_ROWS, ...(log ? { log } : {}) };
  const retrain: RetrainDeps = {
    lake,
    warehouse,
    ledger,
    telemetry,
    exportChunkRows: config.SCORE_CHUNK_ROWS,
    settings: {
      trainDays: config.TRAIN_DAYS,
      validDays: config.VALID_DAYS,
      C: config.TRAIN_C,
      brierThreshold: config.CALIBRATION_BRIER_THRESHOLD,
      autoDeploy: config.AUTO_DEPLOY,
      gates: {
        minTrainRows: config.GATE_MIN_TRAIN_ROWS,
        minTrainPerClass: config.GATE_MIN_TRAIN_PER_CLASS,
        minValidRows: config.GATE_MIN_VALID_ROWS,
        minValidPerClass: config.GATE_MIN_VALID_PER_CLASS,
        prAucLift: config.GATE_PR_AUC_LIFT,
        maxAucDrop: config.GATE_MAX_AUC_DROP,
      },
      cooldownHours: config.RETRAIN_COOLDOWN_HOURS,
      lockMinutes: config.RETRAIN_LOCK_MINUTES,
    },
    ...(log ? { log } : {}),
  };
  const drift: DriftDeps = {
    lake,
    warehouse,
    ledger,
    telemetry,
    psiThreshold: config.PSI_THRESHOLD,
    aucDropThreshold: config.AUC_DROP_THRESHOLD,
    recentDays: config.RECENT_AUC_DAYS,
    ...(log ? { log } : {}),
  };
  return {
    config,
    lake,
    warehouse,
    ledger,
    telemetry,
    monitor: createMonitor(config, ledger),
    scoring,
    versions,
    retrain,
    drift,
    close: async () => {
      await (telemetry.close ? telemetry.close() : telemetry.flush());
      await warehouse.close();
      await ledger.close?.();
    },
  };
}

let processServices: Promise<Services> | undefined;

/** One set of services per Functions worker process, built on first use; a failed start is retried next time. */
export function sharedServices(): Promise<Services> {
  processServices ??= openServices({ log: (m) => console.log(m) }).catch((err: unknown) => {
    processServices = undefined;
    throw err;
  });
  return processServices;
}
