import type { ChallengerModel, ChallengerRequest, LeadScoreRow } from '../../ports/warehouse';
import type { Run } from './mssql-binding';
import { checkChallenger, iso, leadScoreFromRow, servingModelFromRow, type Row } from './rows';

/** The challenger on Azure SQL (infra/sql/005_challenger.sql): the statements of mssql-statements.ts, in the adapter's transactions. */
export function mssqlChallenger(
  query: (name: string, params?: Record<string, unknown>) => Promise<Row[]>,
  inTransaction: <T>(fn: (run: Run) => Promise<T>) => Promise<T>,
): {
  setChallenger(req: ChallengerRequest): Promise<{ previous: number | null }>;
  clearChallenger(by?: string): Promise<number | null>;
  challenger(): Promise<ChallengerModel | undefined>;
  getChallengerScore(contactId: string): Promise<LeadScoreRow | undefined>;
} {
  return {
    setChallenger: (req) =>
      inTransaction(async (run) => {
        checkChallenger(req.version, (await run('lockChallengerTarget', { version: req.version }))[0]);
        const previous = (await run('clearChallenger'))[0];
        await run('setChallenger', { version: req.version, from: req.from });
        // A running A/B test stops with the challenger it compares, in this transaction.
        await run('stopAbTest', { by: req.by, reason: `v${req.version} became the challenger` });
        return { previous: previous ? Number(previous.model_version) : null };
      }),
    clearChallenger: (by = 'unknown') =>
      inTransaction(async (run) => {
        const r = (await run('clearChallenger'))[0];
        if (!r) return null;
        await run('stopAbTest', { by, reason: `v${Number(r.model_version)} is no longer the challenger` });
        return Number(r.model_version);
      }),
    challenger: async () => {
      const r = (await query('getChallengerModel'))[0];
      if (!r) return undefined;
      const from = r.challenger_from instanceof Date ? r.challenger_from.toISOString().slice(0, 10) : String(r.challenger_from);
      return { ...servingModelFromRow(r), from, setAt: iso(r.activated_at) ?? '' };
    },
    getChallengerScore: async (contactId) => {
      const r = (await query('getChallengerScore', { contactId }))[0];
      return r ? leadScoreFromRow(r) : undefined;
    },
  };
}
