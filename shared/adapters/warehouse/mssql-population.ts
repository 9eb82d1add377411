import type sql from 'mssql';
import { N_FEATURES } from '../../domain/features/schema';
import type { FeatureRows, PopulationLoad, PopulationTarget, ServedPopulation, ServedState, ServedVisitor, ServingModel } from '../../ports/warehouse';
import { contactIdOf, RowBuffer } from '../../fast/featureRows';
import { FEATURES } from '../../domain/features/schema';
import { assignArms } from './mssqlAbTest';
import type { Run } from './mssql-binding';
import { iso, populationFromRow, servingModelFromRow } from './rows';

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
    // A running A/B test: the new population's contacts get their arms before the commit.
    await assignArms(this.run);
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

/** The served population and the active version, then the contacts in pages (see Warehouse.readServed), in the caller's SNAPSHOT transaction. */
export async function readServedIn(run: Run, chunkRows: number, visit: ServedVisitor): Promise<void> {
  const p = (await run('getServedPopulation'))[0];
  const m = (await run('getActiveModel'))[0];
  const model = m ? servingModelFromRow(m) : null;
  if (!(await visit.snapshot({ state: { population: p ? populationFromRow(p) : null, activeVersion: model?.version ?? null }, model }))) return;
  let after = '';
  for (;;) {
    const rows = await run('readContactFeatures', { limit: chunkRows, after });
    if (rows.length === 0) break;
    const chunk = new RowBuffer(rows.length);
    rows.forEach((r, i) => {
      FEATURES.forEach((f, j) => (chunk.x[i * N_FEATURES + j] = Number(r[f])));
      chunk.pushString(String(r.contact_id));
    });
    await visit.rows(chunk.rows());
    after = String(rows[rows.length - 1]!.contact_id);
    if (rows.length < chunkRows) break;
  }
}
