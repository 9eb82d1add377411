import type sql from 'mssql';
import { N_FEATURES } from '../../domain/features/schema';
import type { FeatureRows, PopulationLoad, PopulationTarget, ServedPopulation, ServedState, ServingModel } from '../../ports/warehouse';
import { contactIdOf } from '../../fast/featureRows';
import type { Run } from './mssql-binding';
import { iso } from './rows';

/** Rows per INSERT: one JSON parameter per chunk keeps round trips few and statements static. */
const INSERT_ROWS = 2000;

/** A population load on one mssql transaction (see Warehouse.openPopulationLoad). */
export class MssqlPopulationLoad implements PopulationLoad {
  private done = false;
  private contacts = 0;
  constructor(
    private readonly tx: sql.Transaction,
    private readonly run: Run,
    private readonly target: PopulationTarget,
    readonly before: ServedState,
    readonly model: ServingModel | null,
    private readonly loadedAt: Date,
  ) {}

  async write(rows: FeatureRows): Promise<void> {
    if (this.done) throw new Error('population load already finished');
    for (let from = 0; from < rows.n; from += INSERT_ROWS) {
      const to = Math.min(rows.n, from + INSERT_ROWS);
      const json: unknown[] = [];
      for (let i = from; i < to; i++) json.push([contactIdOf(rows, i), ...Array.from(rows.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES))]);
      await this.run('insertContactFeatures', { rows: JSON.stringify(json) });
      this.contacts += to - from;
    }
  }

  async commit(contentHash: string): Promise<ServedPopulation> {
    if (this.done) throw new Error('population load already finished');
    await this.run('recordServedPopulation', { asOf: this.target.asOf, contentHash, path: this.target.path, contacts: this.contacts, loadedAt: this.loadedAt });
    await this.tx.commit();
    this.done = true;
    return { ...this.target, contentHash, contacts: this.contacts, loadedAt: iso(this.loadedAt) ?? '' };
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.tx.rollback().catch(() => undefined);
  }
}
