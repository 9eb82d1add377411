import type { Lake } from '../ports/lake';
import { FEATURES } from '../features/schema';
import { FeatureAccumulator } from '../features/compute';
import { addDays, dayRange, dayStartMs, isoSeconds } from './days';
import { csvLine, formatNumber } from './csv';
import { indexRaw, parseCrm, parseEvent, parseSentiment, rawFiles, readRawFile, RejectLog, type RawIndex, writeQuarantine } from './raw';
import { partitionPath, writePartition } from './partitions';
import type { ValidationReport } from './quality';

/**
 * Feature ingestion (ARCHITECTURE.md sections 2 and 4): raw/ → processed/features/yyyy/mm/dd/part-0.csv,
 * one row per eligible contact as of 00:00 UTC of the date, PII-free, sorted by contact id, with
 * deterministic number formatting so that a re-run writes identical bytes.
 */

export interface IngestOptions {
  /** Relative change in row count against the previous partition reported as a warning. */
  maxRowCountChange?: number;
  log?: (message: string) => void;
}

export interface IngestResult {
  date: string;
  status: 'written' | 'skipped';
  /** Why a date was skipped. */
  reason?: string;
  path?: string;
  rows: number;
  eventsRead: number;
  rawRejected: number;
  quarantined: string[];
  report?: ValidationReport;
}

/** The header and rows of a features partition, exactly as written. */
export function featuresCsv(asOf: string, rows: { contact_id: string; values: number[] }[]): string {
  const asOfIso = isoSeconds(dayStartMs(asOf));
  const parts = [csvLine(['contact_id', 'as_of', ...FEATURES])];
  for (const r of rows) parts.push(csvLine([r.contact_id, asOfIso, ...r.values.map(formatNumber)]));
  return parts.join('');
}

/** Features as of `date`; skipped (nothing written) while raw data for the day before is incomplete. */
export async function ingestDate(lake: Lake, date: string, opts: IngestOptions = {}, index?: RawIndex): Promise<IngestResult> {
  dayStartMs(date);
  const raw = index ?? (await indexRaw(lake));
  const needed = addDays(date, -1);
  const log = opts.log ?? (() => {});
  if (raw.newestComplete === null || raw.newestComplete < needed) {
    const reason = `raw data is complete only up to ${raw.newestComplete ?? '(no raw data)'}; features as of ${date} need ${needed}`;
    log(`ingest ${date}: skipped, ${reason}`);
    return { date, status: 'skipped', reason, rows: 0, eventsRead: 0, rawRejected: 0, quarantined: [] };
  }

  const acc = new FeatureAccumulator(date);
  const rejects = new RejectLog();
  const counts = { events: 0, sentiment: 0, crm: 0 };
  const days = raw.sortedDays.filter((d) => d < date).reverse();
  for (const day of days) {
    acc.beginDay(day);
    const inWindow = acc.isWindowDay(day);
    // Sentiment before events: a reply must find its score already waiting (see compute.ts).
    if (inWindow) {
      for (const f of rawFiles(raw, day, 'sentiment')) {
        await readRawFile(lake, f, day, parseSentiment, (r) => (counts.sentiment++, acc.addSentiment(r)), rejects);
      }
    }
    for (const f of rawFiles(raw, day, 'events')) {
      await readRawFile(lake, f, day, parseEvent, (r) => (counts.events++, acc.addEvent(r)), rejects);
    }
    for (const f of rawFiles(raw, day, 'crm')) {
      await readRawFile(lake, f, day, parseCrm, (r) => (counts.crm++, acc.addCrm(r)), rejects);
    }
    acc.endDay();
  }
  const result = acc.finish();
  const csv = featuresCsv(date, result.rows);
  const quarantined = await writeQuarantine(lake, rejects);
  const report = await writePartition(
    lake,
    'features',
    date,
    csv,
    {
      ...result.stats,
      rawDaysRead: days.length,
      rawFrom: days[days.length - 1] ?? null,
      rawTo: days[0] ?? null,
      rawRecordsRead: counts,
      rawRejected: { total: rejects.total, byReason: rejects.counts },
    },
    opts.maxRowCountChange,
  );
  const path = partitionPath('features', date);
  log(`ingest ${date}: ${result.rows.length} contacts → ${path} (${counts.events} events read, ${rejects.total} raw records quarantined)`);
  for (const c of report.checks) if (!c.ok) log(`ingest ${date}: warning, ${c.name}: ${c.examples.join('; ')}`);
  return { date, status: 'written', path, rows: result.rows.length, eventsRead: counts.events, rawRejected: rejects.total, quarantined, report };
}

/** Every date from `from` to `to`, oldest first; the raw listing is read once. */
export async function ingestRange(lake: Lake, from: string, to: string, opts: IngestOptions = {}): Promise<IngestResult[]> {
  const dates = dayRange(from, to);
  const index = await indexRaw(lake);
  const out: IngestResult[] = [];
  for (const d of dates) out.push(await ingestDate(lake, d, opts, index));
  return out;
}
