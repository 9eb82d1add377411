/**
 * Transient-fault handling for Azure SQL: the error numbers Microsoft documents as transient
 * (https://learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-errors-issues) plus
 * dropped/timed-out sockets. Anything else fails at once: retrying a constraint violation helps no one.
 */
export const TRANSIENT_SQL_ERRORS: ReadonlySet<number> = new Set([
  4060, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 10928, 10929, 10053, 10054, 10060, 40143, 233, 64,
]);

const TRANSIENT_CODES = new Set(['ESOCKET', 'ECONNRESET', 'ETIMEOUT', 'ECONNCLOSED', 'ETIMEDOUT']);

/** The SQL Server error number of an mssql/tedious error, wherever the driver put it. */
export function sqlErrorNumber(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const o = e as { number?: unknown; info?: { number?: unknown }; originalError?: unknown; cause?: unknown };
    if (typeof o.number === 'number') return o.number;
    if (o.info && typeof o.info.number === 'number') return o.info.number;
    e = o.originalError ?? o.cause;
  }
  return undefined;
}

export function isTransientSqlError(err: unknown): boolean {
  const n = sqlErrorNumber(err);
  if (n !== undefined) return TRANSIENT_SQL_ERRORS.has(n);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  /** Delay before the first retry; doubles each time, capped at maxDelayMs, with ±20 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 };

/** Runs `op`, retrying transient errors with exponential backoff; the last error is rethrown. */
export async function withTransientRetry<T>(op: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= options.attempts || !isTransientSqlError(err)) throw err;
      const base = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(base * (0.8 + 0.4 * random()));
      options.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}

/** A duplicate key on a filtered unique index (one active version, one challenger): someone else changed it meanwhile. */
export function isUniqueViolation(err: unknown): boolean {
  const n = sqlErrorNumber(err);
  return n === 2601 || n === 2627;
}
