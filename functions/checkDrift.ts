import { app, type InvocationContext, type Timer } from '@azure/functions';
import { workerContainer } from '../shared/app/container';
import { todayUtc } from '../shared/domain/calendar';
import { invocationLog } from '../shared/http/handler';

/**
 * Daily 03:00 UTC: PSI and recent AUC against the active version. The metrics feed the Azure
 * Monitor alert that calls POST /api/retrain; with DRIFT_RETRAIN=direct the retrain starts here too.
 */
export async function checkDrift(_timer: Timer, context: InvocationContext): Promise<void> {
  const { useCases } = (await workerContainer()).withLog(invocationLog(context));
  const { report, run } = await useCases.checkDrift(todayUtc());
  if (report.action === 'retrain') context.warn(`checkDrift: ${report.reason}${run ? `; retrain ${run.id} ${run.status}` : '; left to the alert'}`);
}

app.timer('checkDrift', { schedule: '0 0 3 * * *', handler: checkDrift });
