import * as path from 'node:path';
import { z } from 'zod';
import { DEFAULT_GRADE_SHARES, type GradeShares, parseGradeShares } from '../domain/model/grades';
import { DEFAULT_CALIBRATION_THRESHOLDS as CAL } from '../domain/model/calibration';

/**
 * Every setting the product reads, with its default and meaning, in one place. Values come from the
 * environment (Azure app settings or local.settings.json in Azure; the shell locally). The README's
 * configuration table is generated from the `describe` texts below, so keep them short and exact.
 */
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  LEADSCORE_HOME: z.string().default('.leadscore').describe('Folder for the local lake, warehouse and ledger'),
  LAKE_KIND: z.enum(['local', 'adls']).default('local').describe('Lake adapter: a local folder or ADLS Gen2'),
  LAKE_ACCOUNT_URL: z.string().optional().describe('ADLS Gen2 DFS endpoint, e.g. https://<account>.dfs.core.windows.net'),
  LAKE_FILESYSTEM: z.string().default('lake').describe('ADLS Gen2 filesystem (container) that holds the lake'),
  TRAIN_C: z.coerce.number().positive().default(1.0).describe('Inverse L2 regularisation strength C'),
  TRAIN_DAYS: z.coerce.number().int().positive().default(120).describe('Days of labelled sends in the training window'),
  VALID_DAYS: z.coerce.number().int().positive().default(14).describe('Most recent days of labelled sends used for validation'),
  LABEL_WINDOW_DAYS: z.coerce.number().int().positive().default(7).describe('Days after a send in which a reaction counts as positive'),
  QUALITY_MAX_ROWCOUNT_CHANGE: z.coerce
    .number()
    .positive()
    .default(0.5)
    .describe("Relative change in a partition's row count against the previous day that the quality gate reports as a warning"),
  GRADE_SHARES: z
    .string()
    .default(DEFAULT_GRADE_SHARES.join(','))
    .superRefine((v, ctx) => {
      try {
        parseGradeShares(v, 'the shares');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .describe(
      "Percent of a version's training rows graded A, B and C (D the rest), e.g. 5,15,30: each version's thresholds on lead_score are set from its own training rows",
    ),
  CALIBRATION_BRIER_THRESHOLD: z.coerce
    .number()
    .positive()
    .default(CAL.maxBrier)
    .describe('Platt scaling is tried when validation Brier exceeds this (and kept only if it lowers validation log-loss)'),
  CALIBRATION_MAX_ECE: z.coerce
    .number()
    .positive()
    .default(CAL.maxEce)
    .describe('Platt scaling is tried when the validation expected calibration error (10 equal-count bins) exceeds this'),
  CALIBRATION_MAX_SLOPE_DEVIATION: z.coerce
    .number()
    .positive()
    .default(CAL.maxSlopeDeviation)
    .describe('Platt scaling is tried when the validation calibration slope is further than this from 1'),
  CALIBRATION_MAX_INTERCEPT: z.coerce
    .number()
    .positive()
    .default(CAL.maxIntercept)
    .describe('Platt scaling is tried when the validation calibration-in-the-large (log-odds, slope fixed at 1) is further than this from 0'),
  GATE_MIN_TRAIN_ROWS: z.coerce.number().int().nonnegative().default(1000).describe('Data sufficiency gate: fewest training rows'),
  GATE_MIN_TRAIN_PER_CLASS: z.coerce.number().int().nonnegative().default(100).describe('Data sufficiency gate: fewest training rows of each class'),
  GATE_MIN_VALID_ROWS: z.coerce.number().int().nonnegative().default(200).describe('Data sufficiency gate: fewest validation rows'),
  GATE_MIN_VALID_PER_CLASS: z.coerce.number().int().nonnegative().default(20).describe('Data sufficiency gate: fewest validation rows of each class'),
  GATE_PR_AUC_LIFT: z.coerce
    .number()
    .positive()
    .default(1.05)
    .describe('"Learns something" gate: PR-AUC must reach this multiple of the equal-weights baseline'),
  GATE_MAX_LABEL_AGE_DAYS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe("Data freshness gate and alert: the newest labelled send day may be at most this many days before the retrain's (or drift check's) day"),
  GATE_MAX_FEATURES_AGE_DAYS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(2)
    .describe('Data freshness gate and alert: the newest complete features partition may be at most this many days old'),
  GATE_MAX_AUC_DROP: z.coerce
    .number()
    .nonnegative()
    .default(0.02)
    .describe('Safety gate: largest AUC drop allowed against production on the same validation rows'),
  RETRAIN_COOLDOWN_HOURS: z.coerce
    .number()
    .nonnegative()
    .default(24)
    .describe('Monitoring-triggered (alert, drift, performance) retrains: at most one per this many hours'),
  RETRAIN_LOCK_MINUTES: z.coerce
    .number()
    .positive()
    .default(60)
    .describe('Lease on the retrain lock (single flight); an instance that dies frees it after this'),
  PSI_BASELINE_DAYS: z.coerce
    .number()
    .int()
    .positive()
    .default(7)
    .describe("A new version's PSI baseline: every contact of the newest this many complete features partitions up to the retrain's as-of day"),
  PSI_THRESHOLD: z.coerce.number().positive().default(0.2).describe('PSI above this on any feature or the score counts as drift'),
  AUC_DROP_THRESHOLD: z.coerce
    .number()
    .positive()
    .default(0.05)
    .describe('A relative drop of recent AUC below the baseline AUC (PERFORMANCE_BASELINE) larger than this triggers a retrain and alerts'),
  PERFORMANCE_BASELINE: z
    .enum(['validation', 'training'])
    .default('validation')
    .describe(
      "What the drift check's recent AUC is compared with: the version's validation AUC (days it never saw) or its AUC on the rows its weights were fitted on (seed 000's training baseline; optimistic, in-sample)",
    ),
  RECENT_AUC_DAYS: z.coerce.number().int().positive().default(7).describe('Days of most recently matured labels the drift check measures AUC on'),
  DRIFT_RETRAIN: z
    .enum(['direct', 'alert'])
    .default('direct')
    .describe("How a drift check starts a retrain: 'direct' calls it (local default, and the fallback in Azure); 'alert' leaves it to the Azure Monitor alert"),
  LOG_ANALYTICS_WORKSPACE_ID: z.string().optional().describe('Log Analytics workspace (customer) id that GET /api/status queries; unset = the ledger'),
  AZURE_CLIENT_ID: z
    .string()
    .optional()
    .describe(
      "Client id of the app's user-assigned managed identity: every Azure adapter (lake, SQL, ledger, telemetry queries) signs in as it; unset = the DefaultAzureCredential chain (your developer login)",
    ),
  RETRAIN_MODE: z
    .enum(['deploy', 'challenger'])
    .default('deploy')
    .describe(
      "What a retrain that passes its gates becomes: 'deploy' = staged, or active at once under AUTO_DEPLOY; 'challenger' = the challenger, scored beside the active version and judged on the outcomes that mature",
    ),
  PROMOTION_MIN_SENDS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(2000)
    .describe('Challenger rule: matured sends scored by both versions before it promotes or retires the challenger'),
  PROMOTION_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05).describe("Challenger rule: two-sided significance level of DeLong's paired AUC test"),
  PROMOTION_MIN_AUC_GAIN: z.coerce
    .number()
    .min(0)
    .lt(1)
    .default(0.005)
    .describe('Challenger rule: the smallest AUC gain over the champion that promotes (a significant gain below it continues)'),
  AUTO_DEPLOY: bool.default(false).describe('Activate a version that passes every gate at once (otherwise it waits as staged)'),
  ADMIN_AUTH: z
    .enum(['key', 'entra'])
    .default('key')
    .describe(
      "How the admin routes (deploy, rollback, retrain) authorise: 'key' = the function key alone, principal headers ignored, recorded as 'function key'; 'entra' = App Service authentication in front: a valid x-ms-client-principal holding the app role LeadScore.Admin is required (else 401/403) and recorded by its name",
    ),
  WAREHOUSE_KIND: z.enum(['sqlite', 'mssql']).default('sqlite').describe('Warehouse adapter: the local SQLite file or Azure SQL'),
  SQL_SERVER: z.string().optional().describe('Azure SQL server host, e.g. <server>.database.windows.net (WAREHOUSE_KIND=mssql)'),
  SQL_DATABASE: z.string().optional().describe('Azure SQL database name (WAREHOUSE_KIND=mssql)'),
  SQL_POOL_MAX: z.coerce.number().int().positive().default(10).describe('Most Azure SQL connections held open per instance'),
  SQL_RETRY_ATTEMPTS: z.coerce.number().int().positive().default(5).describe('Attempts per Azure SQL operation on transient errors (exponential backoff)'),
  SCORE_MAX_BAD_FRACTION: z.coerce.number().min(0).max(1).default(0.01).describe('A feature partition with a larger share of invalid rows is not scored'),
  ACTIVE_MODEL_STAMP_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(1000)
    .describe(
      'POST /api/score checks which version is active at most this often (ms): a deploy or rollback in another instance reaches its scores within this long',
    ),
  SCORE_CHUNK_ROWS: z.coerce
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Rows scored and written per chunk (bounds memory; one scores file per chunk)'),
  LEDGER_KIND: z
    .enum(['sqlite', 'tables'])
    .default('sqlite')
    .describe('Ledger adapter (runs, partitions, locks, cooldowns, drift): the local SQLite file or Azure Tables'),
  LEDGER_TABLES_URL: z
    .string()
    .optional()
    .describe('Azure Tables endpoint, e.g. https://<account>.table.core.windows.net, signed in with Entra ID (LEDGER_KIND=tables)'),
  LEDGER_TABLES_CONNECTION_STRING: z
    .string()
    .optional()
    .describe('Connection string used instead of LEDGER_TABLES_URL, e.g. for Azurite locally (LEDGER_KIND=tables)'),
  LEDGER_TABLE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/)
    .default('leadscoreledger')
    .describe('Name of the ledger table (LEDGER_KIND=tables)'),
  TELEMETRY_KIND: z
    .enum(['jsonl', 'appinsights'])
    .default('jsonl')
    .describe('Telemetry adapter: JSON lines in $LEADSCORE_HOME/telemetry.jsonl or Application Insights'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional().describe('Application Insights connection string (TELEMETRY_KIND=appinsights)'),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z
    .string()
    .optional()
    .describe("'Authorization=AAD' or 'Authorization=AAD;ClientId=<id>': send telemetry with Entra ID (system or user-assigned identity)"),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

export function configDescriptions(): { name: string; default: unknown; meaning: string }[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const parsed = (field as z.ZodType).safeParse(undefined);
    return { name, default: parsed.success ? parsed.data : undefined, meaning: field.description ?? '' };
  });
}

/** GRADE_SHARES as numbers (loadConfig has checked them). */
export function gradeShares(config: Config): GradeShares {
  return parseGradeShares(config.GRADE_SHARES, 'GRADE_SHARES');
}

export function warehouseFile(config: Config): string {
  return path.resolve(config.LEADSCORE_HOME, 'warehouse.db');
}

export function ledgerFile(config: Config): string {
  return path.resolve(config.LEADSCORE_HOME, 'ledger.db');
}

export function telemetryFile(config: Config): string {
  return path.resolve(config.LEADSCORE_HOME, 'telemetry.jsonl');
}

export function lakeRoot(config: Config): string {
  return path.resolve(config.LEADSCORE_HOME, 'lake');
}

/** A setting's value as shown to a reader: strings as they are, anything else as JSON. */
export function settingText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '(unset)');
}

/** The README's configuration table, rendered from the schema so the two never disagree. */
export function configTableMarkdown(): string {
  const rows = configDescriptions().map(({ name, default: d, meaning }) => {
    const shown = d === undefined ? '(unset)' : `\`${settingText(d)}\``;
    return `| \`${name}\` | ${shown} | ${meaning.replaceAll('|', '\\|')} |`;
  });
  return ['| setting | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
