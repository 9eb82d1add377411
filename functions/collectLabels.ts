import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loadConfig } from '../shared/config';
import { createLake } from '../shared/compose';
import { indexRaw } from '../shared/pipeline/raw';
import { collectLabelsForDate, newestLabelableDate } from '../shared/pipeline/labels';

/**
 * Daily 01:30 UTC: labels the newest send date whose window has closed against the newest complete raw
 * day (not the wall clock), so a late-landing day is labelled on the next run instead of half written.
 */
export async function collectLabels(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = loadConfig();
  const lake = createLake(config);
  const index = await indexRaw(lake);
  if (index.newestComplete === null) {
    context.warn('collectLabels: no complete raw day yet');
    return;
  }
  const date = newestLabelableDate(index.newestComplete, config.LABEL_WINDOW_DAYS);
  await collectLabelsForDate(lake, date, { windowDays: config.LABEL_WINDOW_DAYS, maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE, log: (m) => context.log(m) }, index);
}

app.timer('collectLabels', { schedule: '0 30 1 * * *', handler: collectLabels });
