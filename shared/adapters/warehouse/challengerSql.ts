/**
 * The challenger's views (docs/architecture.md, "SQL schema and serving"): challenger_model is
 * active_model with the challenger's row instead of the active one, and challenger_scores is
 * lead_scores over challenger_model. Both are derived here from the text that defines the champion's
 * views, so that the two are the same SQL by construction: the SQLite migration runs the derived
 * text, and a test holds infra/sql/005_challenger.sql to the same derivation of 004's T-SQL.
 */
export interface ViewTexts {
  /** The CREATE [OR ALTER] VIEW … active_model statement. */
  activeModel: string;
  /** The CREATE [OR ALTER] VIEW … lead_scores statement. */
  leadScores: string;
}

function replaceOnce(text: string, from: string | RegExp, to: string, what: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`challenger views: ${what} not found in the champion's view`);
  return text.replace(from, to);
}

export function challengerViews(champion: ViewTexts): ViewTexts {
  let m = champion.activeModel;
  m = replaceOnce(m, /VIEW (dbo\.)?active_model AS/, 'VIEW $1challenger_model AS', 'the view name');
  // The challenger's weights are its scoring_weights rows, which are never is_active.
  m = replaceOnce(m, ' AND w.is_active = 1', '', 'the active weights filter');
  m = replaceOnce(m, 'WHERE v.is_active = 1', 'WHERE v.is_challenger = 1', 'the active version filter');
  // scored_at of a challenger's score: when it became the challenger (or its population was loaded).
  m = replaceOnce(m, /v\.activated_at,/, 'v.challenger_set_at AS activated_at,', 'activated_at');
  m = replaceOnce(m, 'GROUP BY v.model_version, v.activated_at,', 'GROUP BY v.model_version, v.challenger_set_at,', 'the grouping');
  let s = champion.leadScores;
  s = replaceOnce(s, /VIEW (dbo\.)?lead_scores AS/, 'VIEW $1challenger_scores AS', 'the view name');
  s = replaceOnce(s, /CROSS JOIN (dbo\.)?active_model AS m/, 'CROSS JOIN $1challenger_model AS m', 'the model join');
  return { activeModel: m, leadScores: s };
}

/** One CREATE VIEW statement of a migration's text (T-SQL: up to its GO; SQLite: up to its ;). */
export function viewStatement(sql: string, dialect: 'sqlite' | 'tsql', name: string): string {
  const re =
    dialect === 'tsql'
      ? new RegExp(`^CREATE OR ALTER VIEW dbo\\.${name} AS\\n[\\s\\S]*?(?=\\nGO$)`, 'm')
      : new RegExp(`^CREATE VIEW ${name} AS\\n[\\s\\S]*?;$`, 'm');
  const m = re.exec(sql);
  if (!m) throw new Error(`challenger views: no CREATE VIEW ${name} in the migration`);
  return m[0];
}

/** The champion's two views of a migration's text. */
export function viewStatements(sql: string, dialect: 'sqlite' | 'tsql'): ViewTexts {
  return { activeModel: viewStatement(sql, dialect, 'active_model'), leadScores: viewStatement(sql, dialect, 'lead_scores') };
}
