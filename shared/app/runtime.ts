import type { Config } from './config';
import type { ApiDeps } from '../http/handlers';
import { sharedServices } from './services';
import { ActiveModelCache } from './activeModel';

/**
 * The HTTP handlers' dependencies in a Functions worker: the process-wide services plus the cached
 * active model, built on first use and shared by every invocation (the SQL pool and the cache survive
 * between requests). `config` is the process's settings: the admin handlers read ADMIN_AUTH from it.
 */
let deps: Promise<ApiDeps & { config: Config }> | undefined;

export function runtimeDeps(): Promise<ApiDeps & { config: Config }> {
  deps ??= sharedServices()
    .then((s) => ({
      config: s.config,
      lake: s.lake,
      warehouse: s.warehouse,
      telemetry: s.telemetry,
      cache: new ActiveModelCache(s.warehouse),
      exportChunkRows: s.config.SCORE_CHUNK_ROWS,
    }))
    .catch((err: unknown) => {
      deps = undefined;
      throw err;
    });
  return deps;
}
