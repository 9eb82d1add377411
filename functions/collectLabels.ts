import { app, type InvocationContext, type Timer } from '@azure/functions';
import { workerContainer } from '../shared/app/container';
import { invocationLog } from '../shared/http/handler';

/**
 * Daily 01:30 UTC: labels every send date whose window has closed against the newest complete raw day
 * (not the wall clock) and that is not labelled yet, so a late-landing day or a missed run is caught up
 * on the next run instead of half written or left out.
 */
export async function collectLabels(_timer: Timer, context: InvocationContext): Promise<void> {
  const { useCases } = (await workerContainer()).withLog(invocationLog(context));
  const results = await useCases.collectPendingLabels();
  if (results.length === 0) context.log('collectLabels: no mature send date left to label');
}

app.timer('collectLabels', { schedule: '0 30 1 * * *', handler: collectLabels });
