import type { Ledger } from '../../ports/ledger';
import type { DriftSnapshot, MonitorQueries } from '../../ports/monitor';

/** The local answer to monitor queries: the drift history the drift check records in the ledger. */
export class LedgerMonitor implements MonitorQueries {
  constructor(private readonly ledger: Pick<Ledger, 'listDrift'>) {}

  async latestDrift(): Promise<DriftSnapshot | null> {
    const [last] = await this.ledger.listDrift(1);
    if (!last) return null;
    return { at: last.date, psi: last.psi, aucRecent: last.aucRecent, drifted: last.drifted, source: 'ledger' };
  }
}
