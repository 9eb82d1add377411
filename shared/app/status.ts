import type { Lake } from '../ports/lake';
import type { DriftRecord, Ledger, RunRecord } from '../ports/ledger';
import type { DriftSnapshot, MonitorQueries } from '../ports/monitor';
import type { AbTest, ServedPopulation, Warehouse } from '../ports/warehouse';
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
  /** The challenger, and the latest drift check's evaluation of it (docs/architecture.md, "Challenger"); null when none is set. */
  challenger: { version: number; from: string; setAt: string; latest: DriftRecord['challenger'] | null } | null;
  /** The running A/B test, else the newest stopped one (docs/architecture.md, "A/B split"); null when none has run. */
  abTest: AbTest | null;
}

export interface StatusDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Pick<Ledger, 'listRuns' | 'listDrift'>;
  monitor: MonitorQueries;
}

export async function statusSnapshot(deps: StatusDeps): Promise<StatusSnapshot> {
  const [state, versions, runs, drift, challenger, checks, abTest] = await Promise.all([
    deps.warehouse.servedState(),
    deps.warehouse.listVersions(),
    deps.ledger.listRuns(10),
    deps.monitor.latestDrift(),
    deps.warehouse.challenger(),
    deps.ledger.listDrift(10),
    deps.warehouse.abTest(),
  ]);
  const latest = challenger ? (checks.find((d) => d.challenger?.challenger === challenger.version)?.challenger ?? null) : null;
  const v = state.activeVersion === null ? undefined : versions.find((x) => x.version === state.activeVersion);
  return {
    active: v ? { version: v.version, activatedAt: v.activatedAt, activatedBy: v.activatedBy, metrics: v.metrics } : null,
    versions: versions.length,
    population: state.population,
    exportCurrent: await exportIsCurrent(deps.lake, state),
    runs,
    drift,
    challenger: challenger ? { version: challenger.version, from: challenger.from, setAt: challenger.setAt, latest } : null,
    abTest: abTest ?? null,
  };
}
