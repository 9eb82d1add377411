import type { Config } from '../config';
import type { ApiDeps } from '../http/handlers';
import { sharedServices } from '../services';
import { ActiveModelCache, loadActiveModel } from './servingModel';

/**
 * The HTTP handlers' dependencies in a Functions worker: the process-wide services plus the cached
 * active model, built on first use and shared by every invocation (the SQL pool and the cache survive
 * between requests).
 */
let deps: Promise<ApiDeps & { config: Config }> | undefined;

export function runtimeDeps(): Promise<ApiDeps & { config: Config }> {
  deps ??= sharedServices()
    .then((s) => ({
      config: s.config,
      lake: s.lake,
      warehouse: s.warehouse,
      ledger: s.ledger,
      telemetry: s.telemetry,
      cache: new ActiveModelCache(() => loadActiveModel(s.warehouse, s.lake)),
      scoring: { maxBadFraction: s.config.SCORE_MAX_BAD_FRACTION, chunkRows: s.config.SCORE_CHUNK_ROWS, alert: s.scoring.alert },
    }))
    .catch((err: unknown) => {
      deps = undefined;
      throw err;
    });
  return deps;
}
