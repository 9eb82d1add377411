/**
 * Where the use cases say what they did: the CLI writes it to stderr, a Functions invocation to its
 * context (and so to Application Insights' traces), a test nowhere. One port, passed in with the
 * others; messages are single lines in the product's words.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A log that keeps nothing (tests, and steps run for their result alone). */
export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A log of plain functions, one per level: `lines(console.log)` for everything on one stream. */
export function logTo(info: (m: string) => void, warn: (m: string) => void = info, error: (m: string) => void = warn): Log {
  return { info, warn, error };
}
