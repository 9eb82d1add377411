import { app, type InvocationContext } from '@azure/functions';
import { parsePartitionPath, scorePartition } from '../shared/pipeline/scorePartition';
import { sharedServices } from '../shared/services';

/**
 * A feature partition landed (Event Grid blob trigger on the lake's processed/features/): score it
 * into SQL and scores/. A throw makes the host retry (e.g. no active version yet, SQL unavailable)
 * and is reported as ScoringFailed; a partition with too many invalid rows is not retried (retrying
 * cannot fix the data): the step reports it and quarantines the reasons.
 */
export async function scoreFeatures(_blob: unknown, context: InvocationContext): Promise<void> {
  const s = await sharedServices();
  const blobPath = String(context.triggerMetadata?.blobTrigger ?? '');
  // blobTrigger is "<container>/<path in the lake>".
  const lakePath = blobPath.replace(/^[^/]+\//, '');
  if (!parsePartitionPath(lakePath)) {
    context.log(`scoreFeatures: ${blobPath} is not a feature partition CSV; ignored`);
    return;
  }
  try {
    const result = await scorePartition(
      { ...s.scoring, log: (m) => context.log(m), alert: (name, props) => context.error(`ALERT ${name}: ${JSON.stringify(props)}`) },
      lakePath,
    );
    if (result.status === 'rejected') context.error(`scoreFeatures: ${lakePath} rejected; reasons in ${result.quarantineFile}`);
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
