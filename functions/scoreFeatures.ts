import { app, type InvocationContext } from '@azure/functions';
import { parsePartitionPath, scorePartition } from '../shared/pipeline/scorePartition';
import { runtimeDeps } from '../shared/scoring/runtime';

/**
 * A feature partition landed (Event Grid blob trigger on the lake's processed/features/): score it
 * into SQL and scores/. A throw makes the host retry (e.g. no active version yet, SQL unavailable);
 * a partition with too many invalid rows is not retried (retrying cannot fix the data): it alerts.
 */
export async function scoreFeatures(_blob: unknown, context: InvocationContext): Promise<void> {
  const { lake, warehouse, ledger, scoring } = await runtimeDeps();
  const blobPath = String(context.triggerMetadata?.blobTrigger ?? '');
  // blobTrigger is "<container>/<path in the lake>".
  const lakePath = blobPath.replace(/^[^/]+\//, '');
  if (!parsePartitionPath(lakePath)) {
    context.log(`scoreFeatures: ${blobPath} is not a feature partition CSV; ignored`);
    return;
  }
  const result = await scorePartition(
    {
      lake,
      warehouse,
      ledger,
      log: (m) => context.log(m),
      alert: (name, props) => context.error(`ALERT ${name}: ${JSON.stringify(props)}`),
      ...scoring,
    },
    lakePath,
  );
  if (result.status === 'rejected') context.error(`scoreFeatures: ${lakePath} rejected; reasons in ${result.quarantineFile}`);
}

app.storageBlob('scoreFeatures', {
  path: 'lake/processed/features/{name}',
  connection: 'LAKE',
  source: 'EventGrid',
  handler: scoreFeatures,
});
