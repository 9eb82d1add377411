import type { DatabaseSync } from 'node:sqlite';
import type { ChallengerModel, ChallengerRequest, LeadScoreRow } from '../../ports/warehouse';
import { checkChallenger, leadScoreFromRow, servingModelFromRow, type Row } from './rows';

/**
 * The challenger on SQLite (migration 005): the flag and its one-row index hold the invariant; these
 * are the reads and writes, each a statement or one transaction of the caller's.
 */
export function setChallenger(db: DatabaseSync, req: ChallengerRequest, at: string): { previous: number | null } {
  checkChallenger(req.version, db.prepare('SELECT status, complete FROM model_versions WHERE model_version = ?').get(req.version));
  const prev = db.prepare('SELECT model_version FROM model_versions WHERE is_challenger = 1').get() as Row | undefined;
  const previous = prev ? Number(prev.model_version) : null;
  db.prepare('UPDATE model_versions SET is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL WHERE is_challenger = 1').run();
  db.prepare('UPDATE model_versions SET is_challenger = 1, challenger_set_at = ?, challenger_from = ? WHERE model_version = ?').run(at, req.from, req.version);
  return { previous };
}

export function clearChallenger(db: DatabaseSync): number | null {
  const r = db
    .prepare('UPDATE model_versions SET is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL WHERE is_challenger = 1 RETURNING model_version')
    .get() as Row | undefined;
  return r ? Number(r.model_version) : null;
}

export function challengerModel(db: DatabaseSync): ChallengerModel | undefined {
  const r = db.prepare('SELECT m.*, v.challenger_from FROM challenger_model AS m JOIN model_versions AS v ON v.model_version = m.model_version').get() as
    Row | undefined;
  return r ? { ...servingModelFromRow(r), from: String(r.challenger_from), setAt: String(r.activated_at) } : undefined;
}

export function challengerScore(db: DatabaseSync, contactId: string): LeadScoreRow | undefined {
  const r = db.prepare('SELECT * FROM challenger_scores WHERE contact_id = ?').get(contactId) as Row | undefined;
  return r ? leadScoreFromRow(r) : undefined;
}
