import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteWarehouse } from '../../../shared/adapters/warehouse/sqlite';
import { warehouseContract } from './contract';

warehouseContract('SQLite (node:sqlite file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadscore-warehouse-'));
  return { warehouse: new SqliteWarehouse(path.join(dir, 'warehouse.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});
