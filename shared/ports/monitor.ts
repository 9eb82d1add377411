/**
 * Monitor queries for GET /api/status: the latest drift numbers. In Azure they come from Log
 * Analytics (the metrics the drift check emitted); locally from the ledger's drift history.
 */
export interface DriftSnapshot {
  /** When the numbers were recorded (ISO time or date). */
  at: string;
  psi: Record<string, number>;
  aucRecent: number | null;
  drifted: string[];
  source: 'log-analytics' | 'ledger';
}

export interface MonitorQueries {
  latestDrift(): Promise<DriftSnapshot | null>;
}
