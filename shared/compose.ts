import type { Config } from './config';
import { lakeRoot } from './config';
import type { Lake } from './ports/lake';
import { LocalLake } from './adapters/lake/local';

/**
 * The composition root: the one place that reads configuration and chooses adapters.
 * Pipeline steps receive ports; they never construct adapters themselves.
 */
export function createLake(config: Config): Lake {
  switch (config.LAKE_KIND) {
    case 'local':
      return new LocalLake(lakeRoot(config));
    case 'adls':
      throw new Error('LAKE_KIND=adls: the ADLS Gen2 adapter is not wired yet');
  }
}
