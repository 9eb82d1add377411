import type { DatabaseSync } from 'node:sqlite';
import type { ActivateRequest, Deployment } from '../../ports/warehouse';
import { checkActivation, type Row } from './rows';
import { stopAbTest } from './sqliteAbTest';

/**
 * A deploy or rollback on SQLite, in the caller's write transaction: the active version retired, the
 * target made the only active one (its challenger flag cleared in the same UPDATE), the change logged,
 * and a running A/B test stopped, since its champion is no longer the active version. `failpoint`
 * is the test seam called after each step (a throw aborts the transaction).
 */
export function activateVersion(db: DatabaseSync, req: ActivateRequest, at: string, failpoint: (step: string) => void): Deployment {
  const cur = db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
  const current = cur ? Number(cur.model_version) : null;
  failpoint('read-active');
  const target = db
    .prepare(
      'SELECT status, complete, (SELECT COUNT(*) FROM version_feature_means m WHERE m.model_version = v.model_version) AS means FROM model_versions v WHERE model_version = ?',
    )
    .get(req.toVersion) as Row | undefined;
  checkActivation(
    req,
    current,
    target ? String(target.status) : undefined,
    target ? Number(target.means) : 0,
    target ? Boolean(Number(target.complete)) : true,
  );
  if (current !== null) {
    db.prepare(`UPDATE model_versions SET status = 'retired', is_active = 0 WHERE model_version = ?`).run(current);
    failpoint('retire-version');
    db.prepare('UPDATE scoring_weights SET is_active = 0 WHERE model_version = ?').run(current);
    failpoint('deactivate-weights');
  }
  db.prepare(
    `UPDATE model_versions SET status = 'active', is_active = 1, is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL, activated_at = ?, activated_by = ? WHERE model_version = ?`,
  ).run(at, req.by, req.toVersion);
  failpoint('activate-version');
  db.prepare('UPDATE scoring_weights SET is_active = 1 WHERE model_version = ?').run(req.toVersion);
  failpoint('activate-weights');
  const r = db
    .prepare('INSERT INTO deployment_log (action, from_version, to_version, changed_by, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
    .get(req.action, current, req.toVersion, req.by, req.reason, at) as Row;
  failpoint('log');
  stopAbTest(db, at, req.by, `v${req.toVersion} was ${req.action === 'rollback' ? 'rolled back to' : 'deployed'}: the champion changed`);
  return { id: Number(r.id), action: req.action, fromVersion: current, toVersion: req.toVersion, by: req.by, reason: req.reason, at };
}
