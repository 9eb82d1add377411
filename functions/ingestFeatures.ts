import { app, type InvocationContext, type Timer } from '@azure/functions';
import { workerContainer } from '../shared/app/container';
import { todayUtc } from '../shared/domain/calendar';
import { invocationLog } from '../shared/http/handler';

/** Daily 01:00 UTC: today's feature partition (as of 00:00 UTC) from raw/. A skipped day is logged, not retried. */
export async function ingestFeatures(_timer: Timer, context: InvocationContext): Promise<void> {
  const { useCases } = (await workerContainer()).withLog(invocationLog(context));
  const result = await useCases.ingestDate(todayUtc());
  if (result.status === 'skipped') context.warn(`ingestFeatures: ${result.reason}`);
}

app.timer('ingestFeatures', { schedule: '0 0 1 * * *', handler: ingestFeatures });
