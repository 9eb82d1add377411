import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loadConfig } from '../shared/app/config';
import { createLake } from '../shared/app/container';
import { todayUtc } from '../shared/domain/calendar';
import { ingestDate } from '../shared/app/ingest';

/** Daily 01:00 UTC: today's feature partition (as of 00:00 UTC) from raw/. A skipped day is logged, not retried. */
export async function ingestFeatures(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = loadConfig();
  const result = await ingestDate(createLake(config), todayUtc(), {
    maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE,
    log: (m) => context.log(m),
  });
  if (result.status === 'skipped') context.warn(`ingestFeatures: ${result.reason}`);
}

app.timer('ingestFeatures', { schedule: '0 0 1 * * *', handler: ingestFeatures });
