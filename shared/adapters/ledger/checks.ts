/** Argument checks both ledger adapters share, so bad input fails the same way on each. */

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`ledger: limit must be a positive integer, got ${limit}`);
  return limit;
}

export function checkLease(name: string, owner: string, ttlMs: number): void {
  if (name === '' || owner === '') throw new Error('acquireLock: name and owner must be non-empty');
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new Error(`acquireLock: ttlMs must be a positive number, got ${ttlMs}`);
}

export function checkIso(iso: string, what: string): void {
  if (Number.isNaN(Date.parse(iso))) throw new Error(`${what}: "${iso}" is not an ISO date-time`);
}
