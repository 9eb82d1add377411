/**
 * node:sqlite prints "SQLite is an experimental feature" once per thread. The main thread has shown
 * it already; a loader thread imports this module before node:sqlite so it is not printed again.
 */
const emit = process.emitWarning.bind(process);
process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  if (/SQLite is an experimental/.test(String(warning))) return;
  (emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
};
