/**
 * What a command's exit code says (the README lists them). A command that did not do what was asked
 * never exits 0.
 */
export const EXIT = {
  /** Done (including "nothing to do": the same partition content again, a version staged for approval). */
  done: 0,
  /** Failed: bad input, an unreadable file, a database or network error. The message says what and where. */
  failed: 1,
  /** The command line itself is wrong (unknown option, missing argument). */
  usage: 2,
  /** Refused by a rule: a gate failed, the version was rejected, the partition had too many invalid rows or is older than the one served. */
  refused: 3,
  /** Not now: another retrain is running or the retrain is rate-limited; the partition is waiting for its _SUCCESS marker. */
  notNow: 4,
} as const;

export function exitWith(code: (typeof EXIT)[keyof typeof EXIT]): void {
  process.exitCode = code;
}
