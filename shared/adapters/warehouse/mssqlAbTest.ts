import { treatmentBuckets } from '../../domain/abSplit';
import { abBucketFast } from '../../fast/abBucket';
import { WarehouseConflictError, type AbScoreRow, type AbTest, type AbTestRequest } from '../../ports/warehouse';
import type { Run } from './mssql-binding';
import { abScoreFromRow, abTestFromRow, type Row } from './rows';

/** Arms per INSERT: one JSON parameter per chunk, as the population's rows travel. */
const ARM_ROWS = 2000;

/**
 * Stores the bucket of every served contact without one under the running test, computed here by
 * domain/abSplit.ts (T-SQL cannot be proven to compute the same hash), in the caller's transaction:
 * a test's start, or a population load before its commit. No test running: one indexed read.
 */
export async function assignArms(run: Run): Promise<void> {
  const t = (await run('lockRunningAbTest'))[0];
  if (!t) return;
  const abTestId = Number(t.ab_test_id);
  const salt = String(t.salt);
  const ids = (await run('armlessContacts', { abTestId })).map((r) => String(r.contact_id));
  for (let from = 0; from < ids.length; from += ARM_ROWS) {
    const rows = ids.slice(from, from + ARM_ROWS).map((id) => [id, abBucketFast(salt, id)]);
    await run('insertAbArms', { abTestId, rows: JSON.stringify(rows) });
  }
}

/** The A/B test on Azure SQL (infra/sql/006_ab_test.sql): the statements of mssql-statements.ts, in the adapter's transactions. */
export function mssqlAbTest(
  query: (name: string, params?: Record<string, unknown>) => Promise<Row[]>,
  inTransaction: <T>(fn: (run: Run) => Promise<T>) => Promise<T>,
): {
  startAbTest(req: AbTestRequest): Promise<AbTest>;
  stopAbTest(by: string, reason: string): Promise<AbTest | null>;
  abTest(): Promise<AbTest | undefined>;
  getAbScore(contactId: string): Promise<AbScoreRow | undefined>;
} {
  return {
    startAbTest: (req) =>
      inTransaction(async (run) => {
        const buckets = treatmentBuckets(req.treatmentPercent);
        // Locks in the order every writer takes them (served population, versions, tests), so none
        // deadlocks with a load, a deploy or a challenger change; the serving lock first means no
        // population load commits between the arms and this commit.
        await run('lockServedPopulation');
        const champion = (await run('lockActiveVersion'))[0];
        const challenger = (await run('lockChallengerVersion'))[0];
        const running = (await run('lockRunningAbTest'))[0];
        if (running) throw new WarehouseConflictError(`A/B test ${Number(running.ab_test_id)} is running; stop it first (leadscore ab stop)`);
        if (!champion || !challenger) {
          throw new WarehouseConflictError(
            `an A/B test needs an active version and a challenger: ${champion ? 'no challenger (leadscore challenger <N>)' : 'no version is active'}`,
          );
        }
        await run('deleteAbArms');
        const id = Number(
          (
            await run('insertAbTest', {
              salt: req.salt,
              buckets,
              champion: Number(champion.model_version),
              challenger: Number(challenger.model_version),
              from: req.from,
              by: req.by,
            })
          )[0]!.ab_test_id,
        );
        await assignArms(run);
        return abTestFromRow((await run('getAbTest', { abTestId: id }))[0]!);
      }),
    stopAbTest: (by, reason) =>
      inTransaction(async (run) => {
        const r = (await run('stopAbTest', { by, reason }))[0];
        await run('dropStoppedArms');
        return r ? abTestFromRow((await run('getAbTest', { abTestId: Number(r.ab_test_id) }))[0]!) : null;
      }),
    abTest: async () => {
      const r = (await query('getAbTest', { abTestId: null }))[0];
      return r ? abTestFromRow(r) : undefined;
    },
    getAbScore: async (contactId) => {
      const r = (await query('getAbScore', { contactId }))[0];
      return r ? abScoreFromRow(r) : undefined;
    },
  };
}
