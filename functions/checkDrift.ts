import { app, type InvocationContext, type Timer } from '@azure/functions';
import { todayUtc } from '../shared/domain/calendar';
import { checkDriftAndRespond } from '../shared/app/drift';
import { sharedServices } from '../shared/app/services';

/**
 * Daily 03:00 UTC: PSI and recent AUC against the active version. The metrics feed the Azure
 * Monitor alert that calls POST /api/retrain; with DRIFT_RETRAIN=direct the retrain starts here too.
 */
export async function checkDrift(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await sharedServices();
  const log = (m: string): void => context.log(m);
  const { report, run } = await checkDriftAndRespond({ ...s.drift, log }, { ...s.retrain, log }, todayUtc(), s.config.DRIFT_RETRAIN);
  if (report.action === 'retrain') context.warn(`checkDrift: ${report.reason}${run ? `; retrain ${run.id} ${run.status}` : '; left to the alert'}`);
}

app.timer('checkDrift', { schedule: '0 0 3 * * *', handler: checkDrift });
