import type { DatabaseSync } from 'node:sqlite';
import { FEATURES, N_FEATURES } from '../../domain/features/schema';
import type { ServedVisitor } from '../../ports/warehouse';
import { RowBuffer } from '../../fast/featureRows';

/**
 * The served contacts read back in contact_id order, `chunkRows` at a time (keyset pagination), inside
 * the caller's read transaction: what the lake export is rewritten from after a version change.
 */
export async function readServedContacts(db: DatabaseSync, chunkRows: number, visit: ServedVisitor): Promise<void> {
  const next = db.prepare(`SELECT contact_id, ${FEATURES.join(', ')} FROM served_contacts WHERE contact_id > ? ORDER BY contact_id LIMIT ?`);
  next.setReturnArrays(true);
  let after = '';
  for (;;) {
    const rows = next.all(after, chunkRows) as unknown as unknown[][];
    if (rows.length === 0) break;
    const chunk = new RowBuffer(rows.length);
    rows.forEach((r, i) => {
      for (let j = 0; j < N_FEATURES; j++) chunk.x[i * N_FEATURES + j] = Number(r[j + 1]);
      chunk.pushString(String(r[0]));
    });
    after = String(rows[rows.length - 1]![0]);
    await visit.rows(chunk.rows());
    if (rows.length < chunkRows) break;
  }
}
