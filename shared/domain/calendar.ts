/**
 * UTC calendar days as `YYYY-MM-DD` strings. Partitions, windows and maturity are all measured in
 * these, so a replayed or simulated history is processed exactly like a live one.
 */
export const DAY_MS = 86_400_000;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Milliseconds of 00:00 UTC of `day`; throws on anything that is not a real calendar day. */
export function dayStartMs(day: string): number {
  const m = DAY_RE.exec(day);
  if (!m) throw new Error(`not a date (expected YYYY-MM-DD): ${JSON.stringify(day)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (dayOfMs(ms) !== day) throw new Error(`not a calendar date: ${day}`);
  return ms;
}

export function isDay(day: string): boolean {
  try {
    dayStartMs(day);
    return true;
  } catch {
    return false;
  }
}

/** The UTC day that contains the instant `ms`. */
export function dayOfMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return dayOfMs(dayStartMs(day) + n * DAY_MS);
}

/** Whole days from `a` to `b` (b - a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayStartMs(b) - dayStartMs(a)) / DAY_MS);
}

/** Every day from `from` to `to`, both included; throws when `to` is before `from`. */
export function dayRange(from: string, to: string): string[] {
  const n = daysBetween(from, to);
  if (n < 0) throw new Error(`--to ${to} is before --from ${from}`);
  const out: string[] = [];
  for (let i = 0; i <= n; i++) out.push(addDays(from, i));
  return out;
}

/** `2026-01-05T00:00:00Z`: the canonical ISO form used in every file the product writes. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** `--date D`, or `--from D1 --to D2` (both included), as a list of days; a clear error otherwise. */
export function selectDates(opts: { date?: string; from?: string; to?: string }, command: string): string[] {
  if (opts.date !== undefined) {
    if (opts.from !== undefined || opts.to !== undefined) throw new Error(`${command}: give --date, or --from and --to, not both`);
    dayStartMs(opts.date);
    return [opts.date];
  }
  if (opts.from === undefined || opts.to === undefined) throw new Error(`${command}: give --date YYYY-MM-DD, or --from YYYY-MM-DD --to YYYY-MM-DD`);
  dayStartMs(opts.from);
  dayStartMs(opts.to);
  return dayRange(opts.from, opts.to);
}
