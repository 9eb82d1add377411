import { app, type InvocationContext, type Timer } from '@azure/functions';
import { retrain } from '../shared/app/retrain';
import { sharedServices } from '../shared/app/services';

/** Sunday 02:00 UTC: the weekly retrain on the latest labelled data; deploys only through the gates. */
export async function retrainWeekly(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await sharedServices();
  const run = await retrain({ ...s.retrain, log: (m) => context.log(m) }, { trigger: 'schedule', reason: 'weekly retrain', requestedBy: 'timer' });
  if (run.status === 'failed') context.warn(`retrainWeekly: ${run.reason}`);
}

app.timer('retrainWeekly', { schedule: '0 0 2 * * 0', handler: retrainWeekly });
