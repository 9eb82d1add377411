import { DefaultAzureCredential } from '@azure/identity';
import type { Config } from './config';
import { lakeRoot, warehouseFile } from './config';
import type { Lake } from './ports/lake';
import { LocalLake } from './adapters/lake/local';
import { AdlsLake } from './adapters/lake/adls';
import type { Warehouse } from './ports/warehouse';
import { SqliteWarehouse } from './adapters/warehouse/sqlite';
import { MssqlWarehouse } from './adapters/warehouse/mssql';
import { DEFAULT_RETRY } from './adapters/warehouse/retry';

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
      const credential = new DefaultAzureCredential(config.LAKE_CLIENT_ID ? { managedIdentityClientId: config.LAKE_CLIENT_ID } : {});
      return AdlsLake.create(config.LAKE_ACCOUNT_URL, config.LAKE_FILESYSTEM, credential);
    }
  }
}

export function createWarehouse(config: Config, log?: (message: string) => void): Warehouse {
  switch (config.WAREHOUSE_KIND) {
    case 'sqlite':
      return new SqliteWarehouse(warehouseFile(config));
    case 'mssql':
      if (!config.SQL_SERVER || !config.SQL_DATABASE) throw new Error('WAREHOUSE_KIND=mssql needs SQL_SERVER and SQL_DATABASE');
      return new MssqlWarehouse({
        server: config.SQL_SERVER,
        database: config.SQL_DATABASE,
        managedIdentityClientId: config.SQL_CLIENT_ID,
        poolMax: config.SQL_POOL_MAX,
        retry: { ...DEFAULT_RETRY, attempts: config.SQL_RETRY_ATTEMPTS },
        log,
      });
  }
}
