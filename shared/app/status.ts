import type { Lake } from '../ports/lake';
import type { Ledger, RunRecord } from '../ports/ledger';
import type { DriftSnapshot, MonitorQueries } from '../ports/monitor';
import type { ServedPopulation, Warehouse } from '../ports/warehouse';
import { exportIsCurrent } from './scoresExport';

/** What is served and how it is doing: GET /api/status and `leadscore status` answer this. */
export interface StatusSnapshot {
  active: { version: number; activatedAt: string | null; activatedBy: string | null; metrics: Record<string, unknown> } | null;
  versions: number;
  population: ServedPopulation | null;
  /** The lake export is the one of what is served (null: nothing to export yet). */
  exportCurrent: boolean | null;
  runs: RunRecord[];
  drift: DriftSnapshot | null;
}

export interface StatusDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Pick<Ledger, 'listRuns'>;
  monitor: MonitorQueries;
}

export async function statusSnapshot(deps: StatusDeps): Promise<StatusSnapshot> {
  const [state, versions, runs, drift] = await Promise.all([
    deps.warehouse.servedState(),
    deps.warehouse.listVersions(),
    deps.ledger.listRuns(10),
    deps.monitor.latestDrift(),
  ]);
  const v = state.activeVersion === null ? undefined : versions.find((x) => x.version === state.activeVersion);
  return {
    active: v ? { version: v.version, activatedAt: v.activatedAt, activatedBy: v.activatedBy, metrics: v.metrics } : null,
    versions: versions.length,
    population: state.population,
    exportCurrent: await exportIsCurrent(deps.lake, state),
    runs,
    drift,
  };
}
