import { app, type InvocationContext, type Timer } from '@azure/functions';
import { workerContainer } from '../shared/app/container';
import { invocationLog } from '../shared/http/handler';

/** Sunday 02:00 UTC: the weekly retrain on the latest labelled data; deploys only through the gates. */
export async function retrainWeekly(_timer: Timer, context: InvocationContext): Promise<void> {
  const { useCases } = (await workerContainer()).withLog(invocationLog(context));
  const run = await useCases.retrain({ trigger: 'schedule', reason: 'weekly retrain', requestedBy: 'timer' });
  if (run.status === 'failed') context.warn(`retrainWeekly: ${run.reason}`);
}

app.timer('retrainWeekly', { schedule: '0 0 2 * * 0', handler: retrainWeekly });
