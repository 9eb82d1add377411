import type { DatabaseSync } from 'node:sqlite';
import { treatmentBuckets } from '../../domain/abSplit';
import { abBucketFast } from '../../fast/abBucket';
import { WarehouseConflictError, type AbScoreRow, type AbTest, type AbTestRequest } from '../../ports/warehouse';
import { abScoreFromRow, abTestFromRow, type Row } from './rows';

/**
 * The A/B test on SQLite (migration 006, docs/architecture.md "A/B split"): one running test, held by
 * a partial unique index; each contact's bucket computed by domain/abSplit.ts (registered on the
 * connection as ab_bucket, so the SQL that stores it calls the TypeScript) and stored in ab_arms;
 * ab_scores gives each served contact its arm's score. infra/sql/006_ab_test.sql is the T-SQL twin.
 */
export const AB_TEST_MIGRATION = `
CREATE TABLE ab_tests (
  ab_test_id         INTEGER PRIMARY KEY,
  salt               TEXT    NOT NULL CHECK (length(salt) BETWEEN 1 AND 100),
  treatment_buckets  INTEGER NOT NULL CHECK (treatment_buckets BETWEEN 0 AND 10000),
  champion_version   INTEGER NOT NULL REFERENCES model_versions (model_version),
  challenger_version INTEGER NOT NULL REFERENCES model_versions (model_version),
  from_date          TEXT    NOT NULL,
  started_at         TEXT    NOT NULL,
  started_by         TEXT    NOT NULL,
  is_running         INTEGER NOT NULL DEFAULT 1,
  stopped_at         TEXT,
  stopped_by         TEXT,
  stop_reason        TEXT,
  CHECK (champion_version <> challenger_version),
  CHECK ((is_running = 1 AND stopped_at IS NULL) OR (is_running = 0 AND stopped_at IS NOT NULL))
);
CREATE UNIQUE INDEX ux_ab_tests_one_running ON ab_tests (is_running) WHERE is_running = 1;

CREATE TABLE ab_arms (
  ab_test_id INTEGER NOT NULL REFERENCES ab_tests (ab_test_id),
  contact_id TEXT    NOT NULL,
  bucket     INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 9999),
  PRIMARY KEY (ab_test_id, contact_id)
) WITHOUT ROWID;

CREATE VIEW ab_scores AS
SELECT s.contact_id, t.ab_test_id, CASE WHEN t.ab_test_id IS NULL THEN NULL ELSE 'control' END AS arm,
       s.model_version, s.lead_score, s.probability, s.score_100, s.band, s.top_factors, s.as_of, s.scored_at, s.grade
FROM lead_scores AS s
LEFT JOIN ab_tests AS t ON t.is_running = 1
LEFT JOIN ab_arms AS a ON a.ab_test_id = t.ab_test_id AND a.contact_id = s.contact_id
WHERE t.ab_test_id IS NULL OR a.bucket >= t.treatment_buckets
UNION ALL
SELECT c.contact_id, t.ab_test_id, 'treatment' AS arm,
       c.model_version, c.lead_score, c.probability, c.score_100, c.band, c.top_factors, c.as_of, c.scored_at, c.grade
FROM challenger_scores AS c
JOIN ab_tests AS t ON t.is_running = 1
JOIN ab_arms AS a ON a.ab_test_id = t.ab_test_id AND a.contact_id = c.contact_id
WHERE a.bucket < t.treatment_buckets;
`;

/** ab_bucket(salt, contact_id): domain/abSplit.ts's abBucket (its allocation-free twin), callable from this connection's SQL. */
export function registerAbBucket(db: DatabaseSync): void {
  db.function('ab_bucket', { deterministic: true }, (salt, contactId) => abBucketFast(String(salt), String(contactId)));
}

/**
 * Stores the bucket of every served contact that has none yet under the running test (none runs:
 * nothing to do). Called inside the transaction of a test's start and of every population load, so
 * no served contact is ever without its arm while a test runs.
 */
export function assignArms(db: DatabaseSync): void {
  const t = db.prepare('SELECT ab_test_id, salt FROM ab_tests WHERE is_running = 1').get() as Row | undefined;
  if (!t) return;
  db.prepare(
    `INSERT INTO ab_arms (ab_test_id, contact_id, bucket)
     SELECT ?, s.contact_id, ab_bucket(?, s.contact_id) FROM served_contacts AS s
     WHERE NOT EXISTS (SELECT 1 FROM ab_arms AS a WHERE a.ab_test_id = ? AND a.contact_id = s.contact_id)`,
  ).run(Number(t.ab_test_id), String(t.salt), Number(t.ab_test_id));
}

/** A test with its arms counted; only a running test's are (a stop inside a deploy must not scan them). */
function testRow(db: DatabaseSync, where: string, ...args: number[]): AbTest | undefined {
  const r = db
    .prepare(
      `SELECT t.*,
              CASE WHEN t.is_running = 1 THEN (SELECT COUNT(*) FROM ab_arms AS a WHERE a.ab_test_id = t.ab_test_id AND a.bucket < t.treatment_buckets) ELSE 0 END AS arms_treatment,
              CASE WHEN t.is_running = 1 THEN (SELECT COUNT(*) FROM ab_arms AS a WHERE a.ab_test_id = t.ab_test_id AND a.bucket >= t.treatment_buckets) ELSE 0 END AS arms_control
       FROM ab_tests AS t ${where}`,
    )
    .get(...args) as Row | undefined;
  return r ? abTestFromRow(r) : undefined;
}

/** In the caller's write transaction (BEGIN IMMEDIATE: SQLite's serving lock). */
export function startAbTest(db: DatabaseSync, req: AbTestRequest, at: string): AbTest {
  const buckets = treatmentBuckets(req.treatmentPercent);
  const running = testRow(db, 'WHERE t.is_running = 1');
  if (running) throw new WarehouseConflictError(`A/B test ${running.id} is running since ${running.startedAt}; stop it first (leadscore ab stop)`);
  const champion = db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
  const challenger = db.prepare('SELECT model_version FROM model_versions WHERE is_challenger = 1').get() as Row | undefined;
  if (!champion || !challenger) {
    throw new WarehouseConflictError(
      `an A/B test needs an active version and a challenger: ${champion ? 'no challenger (leadscore challenger <N>)' : 'no version is active'}`,
    );
  }
  // Arms of stopped tests are no longer read (the salt recomputes them).
  db.prepare('DELETE FROM ab_arms').run();
  const r = db
    .prepare(
      `INSERT INTO ab_tests (salt, treatment_buckets, champion_version, challenger_version, from_date, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?, ?)
       RETURNING ab_test_id`,
    )
    .get(req.salt, buckets, Number(champion.model_version), Number(challenger.model_version), req.from, at, req.by) as Row;
  assignArms(db);
  return testRow(db, 'WHERE t.ab_test_id = ?', Number(r.ab_test_id))!;
}

/** Stops the running test (in the caller's transaction); returns it as it was stopped, or null. */
export function stopAbTest(db: DatabaseSync, at: string, by: string, reason: string): AbTest | null {
  const r = db
    .prepare('UPDATE ab_tests SET is_running = 0, stopped_at = ?, stopped_by = ?, stop_reason = ? WHERE is_running = 1 RETURNING ab_test_id')
    .get(at, by, reason) as Row | undefined;
  if (!r) return null;
  return testRow(db, 'WHERE t.ab_test_id = ?', Number(r.ab_test_id))!;
}

/** Drops the arms of stopped tests: done by `ab stop` and the next start, not inside a deploy. */
export function dropStoppedArms(db: DatabaseSync): void {
  db.prepare('DELETE FROM ab_arms WHERE ab_test_id NOT IN (SELECT ab_test_id FROM ab_tests WHERE is_running = 1)').run();
}

export function currentAbTest(db: DatabaseSync): AbTest | undefined {
  return testRow(db, 'ORDER BY t.is_running DESC, t.ab_test_id DESC LIMIT 1');
}

export function abScore(db: DatabaseSync, contactId: string): AbScoreRow | undefined {
  const r = db.prepare('SELECT * FROM ab_scores WHERE contact_id = ?').get(contactId) as Row | undefined;
  return r ? abScoreFromRow(r) : undefined;
}
