/**
 * Production scoring as SQL: the seed's single weighted sum over the contacts, with the active
 * version's weights pivoted into one row (the active_scoring_weights view). GET /api/weights/active
 * hands it out ready to run; the mssql adapter sends it, the SQLite warehouse runs it unchanged, and
 * `npm run check:infra` parses and compiles it against the schema (docs/architecture.md, "SQL schema and serving").
 */
/** The weighted sum and its FROM, written once for both forms of the SELECT. */
const SEED_WEIGHTED_SUM = `    (recency_days    * w_recency)
  + (fatigue_score   * w_fatigue)
  + (sentiment_score * w_sentiment)
  + (engagement_rate_30d * w_engagement)
  + (reply_rate_90d  * w_reply)
  + (opt_out_risk    * w_optout)
  + (mms_affinity    * w_mms)
  + offset
  AS lead_score
FROM contacts c
JOIN active_scoring_weights w ON w.is_active = 1;`;

export const SCORING_SQL = {
  /** The seed's production SELECT (seed 000, section 3) as written. */
  asWritten: `SELECT
${SEED_WEIGHTED_SUM}`,
  /** The same weighted sum keyed by contact, as served by GET /api/weights/active. */
  byContact: `SELECT
    c.contact_id,
${SEED_WEIGHTED_SUM}`,
} as const;
