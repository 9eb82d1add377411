import { silentLog, type Log } from '../ports/log';
import type { Lake } from '../ports/lake';
import { FEATURES } from '../domain/features/schema';
import { FeatureAccumulator } from '../fast/featureAccumulator';
import { HISTORY_DAYS } from '../domain/features/formulas';
import { addDays, DAY_MS, dayRange, dayStartMs } from '../domain/calendar';
import { csvLine, formatNumber } from '../domain/csv';
import {
  parseCrm,
  parseEvent,
  parseSentiment,
  rawFiles,
  RejectLog,
  type RawCrm,
  type RawEvent,
  type RawIndex,
  type RawSentiment,
  type Rejected,
} from '../domain/raw';
import { indexRaw, readRawFile, writeQuarantine } from './rawFiles';
import { partitionPath } from '../domain/lakeLayout';
import { writePartition } from './partitions';
import { readCrmInto, readSentimentInto } from '../fast/rawRecords';
import { openEventsReader, type EventsFile, type EventsReader } from '../fast/eventsReader';
import type { ValidationReport } from '../domain/quality';

/**
 * Feature ingestion (docs/architecture.md, "Data flow" / "Features and labels"): raw/ → processed/features/yyyy/mm/dd/part-0.csv,
 * one row per eligible contact as of 00:00 UTC of the date, PII-free, sorted by contact id, with
 * deterministic number formatting so that a re-run writes identical bytes.
 */

export interface IngestOptions {
  /** Relative change in row count against the previous partition reported as a warning. */
  maxRowCountChange?: number;
  log: Log;
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
  return featuresTable(asOf, rows).csv;
}

/**
 * The partition's text and its cells (header first), the cells being exactly what parseCsv(csv) gives
 * back: csvLine quotes every field that needs it, and no line is empty. The gate checks the cells.
 * formatNumber is pure, so a value met again (ratios of small counts, the imputed median...) reuses its text.
 */
export function featuresTable(asOf: string, rows: { contact_id: string; values: number[] }[]): { csv: string; table: string[][] } {
  const head = ['contact_id', 'as_of', ...FEATURES];
  const table: string[][] = [head];
  const parts = [csvLine(head)];
  const formatted = new Map<number, string>();
  for (const r of rows) {
    const cells = [r.contact_id, asOf];
    for (const v of r.values) {
      let t = formatted.get(v);
      if (t === undefined) formatted.set(v, (t = formatNumber(v)));
      cells.push(t);
    }
    table.push(cells);
    parts.push(csvLine(cells));
  }
  return { csv: parts.join(''), table };
}

interface RecordCounts {
  events: number;
  sentiment: number;
  crm: number;
}

/**
 * Where the records of one raw day come from. `feed` hands them to the accumulator in the order the
 * formulas need (sentiment when the day is in the window, then events, then CRM), counting valid
 * records and collecting rejects exactly as a streaming read of the files would.
 */
interface RawDaySource {
  feed(day: string, inWindow: boolean, acc: FeatureAccumulator, counts: RecordCounts, rejects: RejectLog): Promise<void>;
}

/**
 * A lake file read ahead: its first chunk is asked for now (opening the file and reading it take the
 * I/O threads while this thread parses the file before), the rest as it is consumed. An error surfaces
 * when the content is read, as it would without the head start.
 */
function readAhead(lake: Lake, path: string): AsyncIterable<Buffer> {
  const it = lake.readStream(path)[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<Buffer>> | null = it.next();
  first.catch(() => {});
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const f = first;
        first = null;
        return f ?? it.next();
      },
      return: async (value?: unknown) => (it.return ? it.return(value) : { done: true as const, value: undefined }),
    }),
  };
}

/**
 * Streams the day's files from the lake: memory holds a few chunks and the accumulator's state.
 * `date`'s files come in a known order: the events files (the bulk of raw/) are read and parsed ahead
 * on a second thread (eventsParallel.ts), and the next sentiment or CRM file is opened while the
 * current one is parsed.
 */
function streamingSource(lake: Lake, raw: RawIndex, date: string): RawDaySource & { close(): Promise<void> } {
  const windowStart = dayStartMs(date) - HISTORY_DAYS * DAY_MS;
  const plan: string[] = [];
  const eventsPlan: EventsFile[] = [];
  for (const day of raw.sortedDays.filter((d) => d < date).reverse()) {
    if (dayStartMs(day) >= windowStart) plan.push(...rawFiles(raw, day, 'sentiment'));
    eventsPlan.push(...rawFiles(raw, day, 'events').map((path) => ({ path, day })));
    plan.push(...rawFiles(raw, day, 'crm'));
  }
  // Opened at the first feed: a skipped date reads nothing.
  let events: EventsReader | null = null;
  let cursor = 0;
  let ahead: { path: string; chunks: AsyncIterable<Buffer> } | null = null;
  const open = (path: string): AsyncIterable<Buffer> => {
    const chunks = ahead?.path === path ? ahead.chunks : lake.readStream(path);
    ahead = null;
    const at = plan[cursor] === path ? cursor : plan.indexOf(path);
    if (at >= 0) {
      cursor = at + 1;
      const next = plan[cursor];
      if (next !== undefined) ahead = { path: next, chunks: readAhead(lake, next) };
    }
    return chunks;
  };
  return {
    async feed(day, inWindow, acc, counts, rejects) {
      // Sentiment before events: a reply must find its score already waiting (domain/features/formulas.ts).
      if (inWindow) {
        for (const f of rawFiles(raw, day, 'sentiment')) counts.sentiment += await readSentimentInto(open(f), f, day, acc, rejects);
      }
      // Events through the byte-level reader (same records, same rejects), parsed ahead.
      for (const path of rawFiles(raw, day, 'events'))
        counts.events += await (events ??= openEventsReader(lake, eventsPlan)).readInto({ path, day }, acc, rejects);
      for (const f of rawFiles(raw, day, 'crm')) counts.crm += await readCrmInto(open(f), f, day, acc, rejects);
    },
    close: async () => events?.close(),
  };
}

interface ParsedDay {
  sentiment: RawSentiment[];
  events: RawEvent[];
  crm: RawCrm[];
  counts: RecordCounts;
  rejected: Record<'sentiment' | 'other', Rejected[]>;
}

/**
 * For a range of dates: each raw file is read and parsed once and its records kept, so the dates of
 * a range cost one pass over raw/ instead of one pass per date. Once a day has left the 90-day window
 * of every date still to come, only what older days still contribute (opt-outs and CRM values) is kept.
 */
function cachingSource(lake: Lake, raw: RawIndex): RawDaySource & { forget(before: string): void } {
  const cache = new Map<string, ParsedDay>();
  const trimmed = new Set<string>();
  return {
    async feed(day, inWindow, acc, counts, rejects) {
      let p = cache.get(day);
      if (!p) {
        const q: ParsedDay = { sentiment: [], events: [], crm: [], counts: { events: 0, sentiment: 0, crm: 0 }, rejected: { sentiment: [], other: [] } };
        const sentimentRejects = new RejectLog();
        const otherRejects = new RejectLog();
        for (const f of rawFiles(raw, day, 'sentiment')) await readRawFile(lake, f, day, parseSentiment, (r) => q.sentiment.push(r), sentimentRejects);
        for (const f of rawFiles(raw, day, 'events')) await readRawFile(lake, f, day, parseEvent, (r) => q.events.push(r), otherRejects);
        for (const f of rawFiles(raw, day, 'crm')) await readRawFile(lake, f, day, parseCrm, (r) => q.crm.push(r), otherRejects);
        q.counts = { events: q.events.length, sentiment: q.sentiment.length, crm: q.crm.length };
        for (const list of sentimentRejects.bySource.values()) q.rejected.sentiment.push(...list);
        for (const list of otherRejects.bySource.values()) q.rejected.other.push(...list);
        cache.set(day, (p = q));
      }
      if (inWindow) {
        if (trimmed.has(day)) throw new Error(`internal: raw day ${day} was trimmed but is in the window again`);
        counts.sentiment += p.counts.sentiment;
        for (const r of p.rejected.sentiment) rejects.add(r);
        for (const r of p.sentiment) acc.addSentiment(r);
      }
      counts.events += p.counts.events;
      counts.crm += p.counts.crm;
      // Rejects in the order a streaming read meets them: events files, then CRM files.
      for (const r of p.rejected.other) rejects.add(r);
      for (const r of p.events) acc.addEvent(r);
      for (const r of p.crm) acc.addCrm(r);
    },
    forget(before) {
      for (const [day, p] of cache) {
        if (day >= before || trimmed.has(day)) continue;
        p.sentiment = [];
        p.events = p.events.filter((e) => e.type === 'opt_out');
        trimmed.add(day);
      }
    },
  };
}

/** Features as of `date`; skipped (nothing written) while raw data for the day before is incomplete. */
export async function ingestDate(lake: Lake, date: string, opts: IngestOptions = { log: silentLog }, index?: RawIndex): Promise<IngestResult> {
  dayStartMs(date);
  const raw = index ?? (await indexRaw(lake));
  const source = streamingSource(lake, raw, date);
  try {
    return await ingestFrom(lake, date, opts, raw, source);
  } finally {
    await source.close();
  }
}

async function ingestFrom(lake: Lake, date: string, opts: IngestOptions, raw: RawIndex, source: RawDaySource): Promise<IngestResult> {
  const needed = addDays(date, -1);
  const log = (m: string): void => opts.log.info(m);
  if (raw.newestComplete === null || raw.newestComplete < needed) {
    const reason = `raw data is complete only up to ${raw.newestComplete ?? '(no raw data)'}; features as of ${date} need ${needed}`;
    log(`ingest ${date}: skipped, ${reason}`);
    return { date, status: 'skipped', reason, rows: 0, eventsRead: 0, rawRejected: 0, quarantined: [] };
  }

  const acc = new FeatureAccumulator(date);
  const rejects = new RejectLog();
  const counts: RecordCounts = { events: 0, sentiment: 0, crm: 0 };
  const days = raw.sortedDays.filter((d) => d < date).reverse();
  for (const day of days) {
    acc.beginDay(day);
    await source.feed(day, acc.isWindowDay(day), acc, counts, rejects);
    acc.endDay();
  }
  const result = acc.finish();
  const { csv, table } = featuresTable(date, result.rows);
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
    table,
  );
  const path = partitionPath('features', date);
  log(`ingest ${date}: ${result.rows.length} contacts → ${path} (${counts.events} events read, ${rejects.total} raw records quarantined)`);
  for (const c of report.checks) if (!c.ok) opts.log.warn(`ingest ${date}: warning, ${c.name}: ${c.examples.join('; ')}`);
  return { date, status: 'written', path, rows: result.rows.length, eventsRead: counts.events, rawRejected: rejects.total, quarantined, report };
}

/**
 * Every date from `from` to `to`, oldest first, with the same bytes as ingesting each date alone. The
 * raw listing is read once and every raw file parsed once (cachingSource); each date then replays the
 * parsed records of its own window.
 */
export async function ingestRange(lake: Lake, from: string, to: string, opts: IngestOptions = { log: silentLog }): Promise<IngestResult[]> {
  const dates = dayRange(from, to);
  const index = await indexRaw(lake);
  if (dates.length === 1) return [await ingestDate(lake, from, opts, index)];
  const source = cachingSource(lake, index);
  const out: IngestResult[] = [];
  for (const d of dates) {
    source.forget(addDays(d, -HISTORY_DAYS));
    dayStartMs(d);
    out.push(await ingestFrom(lake, d, opts, index, source));
  }
  return out;
}
