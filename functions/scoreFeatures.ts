import { app, type InvocationContext } from '@azure/functions';
import { featuresPartitionDate } from '../shared/app/partitions';
import { scorePartition } from '../shared/app/scoring';
import { sharedServices } from '../shared/app/services';

/**
 * A file landed in a features partition (Event Grid blob trigger on the lake's processed/features/):
 * a data file or the partition's _SUCCESS marker. Whichever event finds the partition complete serves
 * it as the population lead_scores scores; an event on an incomplete partition changes nothing. A throw
 * makes the host retry (e.g. SQL unavailable) and is reported as ScoringFailed; a partition with too
 * many invalid rows is not retried (retrying cannot fix the data): the step reports it and
 * quarantines the reasons.
 */
export async function scoreFeatures(_blob: unknown, context: InvocationContext): Promise<void> {
  const blobPath = String(context.triggerMetadata?.blobTrigger ?? '');
  // blobTrigger is "<container>/<path in the lake>".
  const lakePath = blobPath.replace(/^[^/]+\//, '');
  if (featuresPartitionDate(lakePath) === undefined) {
    context.log(`scoreFeatures: ${blobPath} is not in a features partition folder; ignored`);
    return;
  }
  const s = await sharedServices();
  try {
    const result = await scorePartition(
      { ...s.scoring, log: (m) => context.log(m), alert: (name, props) => context.error(`ALERT ${name}: ${JSON.stringify(props)}`) },
      lakePath,
    );
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
