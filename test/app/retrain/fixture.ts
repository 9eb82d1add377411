import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalLake } from '../../../shared/adapters/lake/local';
import { SqliteLedger } from '../../../shared/adapters/ledger/sqlite';
import { JsonlTelemetry } from '../../../shared/adapters/telemetry/jsonl';
import { SqliteWarehouse } from '../../../shared/adapters/warehouse/sqlite';
import { DEFAULT_FRESHNESS, DEFAULT_GATES } from '../../../shared/domain/gates';
import { ingestRange } from '../../../shared/app/ingest';
import { collectLabelsRange } from '../../../shared/app/labels';
import type { RetrainDeps, RetrainSettings } from '../../../shared/app/retrain';
import { simulate } from '../../../shared/simulate/simulate';
import { addDays } from '../../../shared/domain/calendar';
import { silentLog } from '../../../shared/ports/log';

export const START = '2026-01-05';
export const DAYS = 45;
export const LAST_DAY = addDays(START, DAYS - 1);

/** A simulated lake (raw → features → labels) built once and copied for each test that changes it. */
export async function buildLake(dir: string, contacts = 1500, days = DAYS): Promise<void> {
  const lake = new LocalLake(dir);
  await simulate(lake, { contacts, days, start: START, seed: 7 });
  await ingestRange(lake, START, addDays(START, days - 1));
  await collectLabelsRange(lake, START, addDays(START, days - 1), { windowDays: 7, log: silentLog });
}

export const SETTINGS: RetrainSettings = {
  trainDays: 120,
  validDays: 14,
  C: 1,
  brierThreshold: 0.2,
  calibration: { maxEce: 0.01, maxSlopeDeviation: 0.2, maxIntercept: 0.2 },
  autoDeploy: true,
  gates: DEFAULT_GATES,
  cooldownHours: 24,
  lockMinutes: 60,
  psiBaselineDays: 7,
  freshness: DEFAULT_FRESHNESS,
};

export interface Env {
  home: string;
  deps: RetrainDeps;
  telemetryFile: string;
  close(): Promise<void>;
}

/** A fresh home whose lake is a copy of `lakeTemplate`, with an empty warehouse and ledger. */
export async function openEnv(lakeTemplate: string, settings: Partial<RetrainSettings> = {}): Promise<Env> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-retrain-'));
  fs.cpSync(lakeTemplate, path.join(home, 'lake'), { recursive: true });
  const lake = new LocalLake(path.join(home, 'lake'));
  const warehouse = new SqliteWarehouse(path.join(home, 'warehouse.db'));
  await warehouse.migrate();
  const ledger = new SqliteLedger(path.join(home, 'ledger.db'));
  const telemetryFile = path.join(home, 'telemetry.jsonl');
  const telemetry = new JsonlTelemetry(telemetryFile);
  return {
    home,
    telemetryFile,
    deps: { lake, warehouse, ledger, telemetry, log: silentLog, settings: { ...SETTINGS, ...settings } },
    close: async () => {
      await warehouse.close();
      await ledger.close?.();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export function telemetryLines(file: string): { type: string; name: string; properties?: Record<string, string> }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
