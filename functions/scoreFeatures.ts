import { app, type InvocationContext } from '@azure/functions';
import { featuresPartitionDate } from '../shared/domain/lakeLayout';
import { workerContainer } from '../shared/app/container';
import { invocationLog } from '../shared/http/handler';

/**
 * A file landed in a features partition (Event Grid blob trigger on the lake's processed/features/):
 * a data file or the partition's _SUCCESS marker. Whichever event finds the partition complete serves
 * it as the population lead_scores scores; an event on an incomplete partition changes nothing. A throw
 * makes the host retry (e.g. SQL unavailable) and is reported as ScoringFailed; a partition with too
 * many invalid rows is not retried (retrying cannot fix the data): the step reports it and
 * quarantines the reasons.
 */
export async function scoreFeatures(_blob: unknown, context: InvocationContext): Promise<void> {
  const trigger = context.triggerMetadata?.blobTrigger;
  const blobPath = typeof trigger === 'string' ? trigger : '';
  // blobTrigger is "<container>/<path in the lake>".
  const lakePath = blobPath.replace(/^[^/]+\//, '');
  if (featuresPartitionDate(lakePath) === undefined) {
    context.log(`scoreFeatures: ${blobPath} is not in a features partition folder; ignored`);
    return;
  }
  const s = (await workerContainer()).withLog(invocationLog(context));
  try {
    const result = await s.useCases.scorePartition(lakePath);
    if (result.status === 'rejected') context.error(`scoreFeatures: ${result.path} rejected; reasons in ${result.quarantineFile}`);
  } catch (err) {
    s.telemetry.trackEvent('ScoringFailed', { partition: lakePath, reason: err instanceof Error ? err.message : String(err) });
    await s.telemetry.flush();
    throw err;
  }
}

app.storageBlob('scoreFeatures', {
  path: 'lake/processed/features/{name}',
  connection: 'LAKE',
  source: 'EventGrid',
  handler: scoreFeatures,
});
