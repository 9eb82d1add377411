import * as path from 'node:path';
import { loadConfig, type Config } from '../config';
import { createLake, createWarehouse } from '../compose';
import type { Ledger } from '../ports/ledger';
import { SqliteLedger } from '../adapters/ledger/sqlite';
import { ActiveModelCache, loadActiveModel } from './servingModel';
import type { ApiDeps } from '../http/handlers';

/**
 * The per-process dependencies of the Functions: built on first use and shared by every invocation,
 * so the SQL pool and the cached active model survive between requests.
 */
let deps: Promise<ApiDeps & { config: Config }> | undefined;

function createLedgerFallback(config: Config): Ledger {
  // The composition root has no createLedger yet; the SQLite ledger beside the warehouse is the local default.
  return new SqliteLedger(path.resolve(config.LEADSCORE_HOME, 'ledger.db'));
}

export interface LocalDeps {
  config: Config;
  lake: ApiDeps['lake'];
  warehouse: ApiDeps['warehouse'];
  ledger: Ledger;
  close(): Promise<void>;
}

/**
 * Dependencies for one CLI command. The local SQLite warehouse is migrated on open so the embedded
 * default needs no setup step; Azure SQL is only ever migrated by an explicit `leadscore migrate`.
 */
export async function openDeps(options: { migrate?: boolean } = {}): Promise<LocalDeps> {
  const config = loadConfig();
  const lake = createLake(config);
  const warehouse = createWarehouse(config, (m) => process.stderr.write(`${m}\n`));
  const ledger = createLedgerFallback(config);
  if ((options.migrate ?? true) && warehouse.engine === 'sqlite') await warehouse.migrate();
  return {
    config,
    lake,
    warehouse,
    ledger,
    close: async () => {
      await warehouse.close();
      await ledger.close?.();
    },
  };
}

export function runtimeDeps(): Promise<ApiDeps & { config: Config }> {
  deps ??= (async () => {
    const config = loadConfig();
    const lake = createLake(config);
    const warehouse = createWarehouse(config);
    const ledger = createLedgerFallback(config);
    const cache = new ActiveModelCache(() => loadActiveModel(warehouse, lake));
    return { config, lake, warehouse, ledger, cache, scoring: { maxBadFraction: config.SCORE_MAX_BAD_FRACTION, chunkRows: config.SCORE_CHUNK_ROWS } };
  })().catch((err: unknown) => {
    deps = undefined;
    throw err;
  });
  return deps;
}
