import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FEATURES, N_FEATURES } from '../../shared/domain/features/schema';
import type { ModelArtifact, PsiBaseline } from '../../shared/domain/model/artifact';
import type { GradeTable } from '../../shared/domain/model/grades';
import { LocalLake } from '../../shared/adapters/lake/local';
import { SqliteWarehouse, type SqliteWarehouseOptions } from '../../shared/adapters/warehouse/sqlite';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import type { Lake } from '../../shared/ports/lake';
import { silentLog, type Log } from '../../shared/ports/log';
import { openContainer, type Container } from '../../shared/app/container';
import type { Warehouse } from '../../shared/ports/warehouse';
import { registerVersion } from '../../shared/app/versions';

export function tempHome(): string {
  return mkdtempSync(path.join(tmpdir(), 'leadscore-test-'));
}

/** Grade thresholds for the fixtures' versions: chosen so that the test contacts fall in every grade. */
export const FIXTURE_GRADES: GradeTable = { shares: [5, 15, 30], min_lead_score: [1.5, 0, -1.5], training_rows: [5, 15, 30, 50] };

/** A model artifact with chosen raw weights; everything else plausible but irrelevant to scoring. */
export function artifact(
  rawWeights: number[],
  offset: number,
  trainingMean: number[] = [30, 0.5, 0, 0.3, 0.2, 0.3, 0.5],
  grades: GradeTable | null = FIXTURE_GRADES,
): ModelArtifact {
  const empty: PsiBaseline = { edges: [], proportions: [1] };
  return {
    features: [...FEATURES],
    scaler: { mean: trainingMean, std: Array(N_FEATURES).fill(1) },
    coef: rawWeights,
    intercept: offset,
    raw_weights: rawWeights,
    offset,
    calibration: null,
    C: 1,
    iterations: 10,
    converged: true,
    standard_errors: { coef: Array(N_FEATURES).fill(0), intercept: 0, raw_weights: Array(N_FEATURES).fill(0), offset: 0 },
    psi_baseline: Object.fromEntries([...FEATURES, 'score'].map((k) => [k, empty])) as ModelArtifact['psi_baseline'],
    training_mean: trainingMean,
    grades,
  };
}

export const W1 = [-0.05, -1.2, 0.4, 2.1, 1.7, -2.5, 0.9];
export const W2 = [-0.03, -0.8, 0.55, 1.6, 2.2, -1.9, 1.1];
export const W3 = [-0.04, -1.0, 0.3, 1.9, 1.5, -2.2, 0.7];

export interface Env {
  home: string;
  lake: LocalLake;
  warehouse: SqliteWarehouse;
  ledger: SqliteLedger;
  /** The use cases' log: silent in tests. */
  log: Log;
  /** Containers opened over this home (appOf), closed with it. */
  opened: Container[];
  close(): Promise<void>;
}

/**
 * The app over the same files as `e` (its home: lake, warehouse.db, ledger.db), as a Functions worker
 * or a command has it: the real container of the local mode, with `settings` over the defaults.
 * Closed with `e`.
 */
export async function appOf(e: Env, settings: Record<string, string> = {}): Promise<Container> {
  const c = await openContainer({ env: { LEADSCORE_HOME: e.home, ...settings }, log: silentLog });
  e.opened.push(c);
  return c;
}

export async function env(options: SqliteWarehouseOptions = {}): Promise<Env> {
  const home = tempHome();
  const lake = new LocalLake(path.join(home, 'lake'));
  const warehouse = new SqliteWarehouse(path.join(home, 'warehouse.db'), options);
  await warehouse.migrate();
  const ledger = new SqliteLedger(path.join(home, 'ledger.db'));
  const opened: Container[] = [];
  return {
    home,
    lake,
    warehouse,
    ledger,
    log: silentLog,
    opened,
    close: async () => {
      for (const c of opened.splice(0)) await c.close();
      await warehouse.close();
      await ledger.close?.();
    },
  };
}

export async function register(
  e: { lake: Lake; warehouse: Warehouse },
  w: number[],
  offset: number,
  auc = 0.7,
  grades: GradeTable | null = FIXTURE_GRADES,
): Promise<number> {
  const v = await registerVersion(
    { lake: e.lake, warehouse: e.warehouse, log: silentLog },
    {
      artifact: artifact(w, offset, undefined, grades),
      metrics: { auc_roc: auc, pr_auc: 0.3, brier: 0.15, n_train: 1000 },
      weightsCsv: (n) => `feature,raw_weight,offset,model_version\n${FEATURES.map((f, i) => `${f},${w[i]},${offset},${n}`).join('\n')}\n`,
      trigger: 'manual',
      window: { start: '2026-01-01', end: '2026-04-30' },
    },
  );
  return v.version;
}

/** A deterministic pseudo-random features row (LCG), inside every range. */
export function featureRows(n: number, seed = 1, asOf = '2026-05-04'): string[] {
  let s = seed >>> 0;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = [Math.floor(r() * 61), r() * 0.99, r() * 4 - 2, r(), r(), r(), 0.01 + r() * 0.98];
    rows.push(`c${String(i).padStart(7, '0')},${asOf},${x.join(',')}`);
  }
  return rows;
}

export const FEATURES_HEADER = `contact_id,as_of,${FEATURES.join(',')}`;
