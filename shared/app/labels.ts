import type { Log } from '../ports/log';
import type { Lake } from '../ports/lake';
import { isPositiveReaction } from '../domain/features/formulas';
import { addDays, DAY_MS, dayRange, dayStartMs, isoSeconds } from '../domain/calendar';
import { csvLine } from '../domain/csv';
import {
  parseEvent,
  parseSentiment,
  rawFiles,
  RejectLog,
  type DayContext,
  type RawEvent,
  type RawIndex,
  type RawSentiment,
  type Rejected,
} from '../domain/raw';
import { indexRaw, readRawFile, writeQuarantine } from './rawFiles';
import { partitionPath } from '../domain/lakeLayout';
import { writePartition } from './partitions';
import { LABEL_COLUMNS, type ValidationReport } from '../domain/quality';

/**
 * Label collection, the feedback loop (docs/architecture.md, "Features and labels"): a send at t gets label 1 when the
 * contact clicks, or replies with sentiment ≥ 0 (or not scored), within (t, t + window] and does not opt
 * out in that window. A day is labelled only once the window of its last possible send has passed,
 * measured against the newest complete day of raw data, never the wall clock; a label therefore reads
 * only raw days date … date + window, and a replayed history labels exactly the same way.
 */

export interface LabelOptions {
  windowDays: number;
  maxRowCountChange?: number;
  log: Log;
}

export interface LabelResult {
  date: string;
  status: 'written' | 'skipped';
  reason?: string;
  path?: string;
  rows: number;
  positives: number;
  rawRejected: number;
  quarantined: string[];
  report?: ValidationReport;
}

interface PendingSend {
  event: RawEvent;
  clicked: boolean;
  /** Replies inside the window, by reply event id. */
  replies: string[];
}

/** The newest send date whose label window has closed, given the newest complete raw day. */
export function newestLabelableDate(newestComplete: string, windowDays: number): string {
  return addDays(newestComplete, -windowDays);
}

/** Parsed records of one raw day and the lines rejected on the way, kept while a range needs the day. */
interface ParsedFile<T> {
  records: T[];
  rejected: Rejected[];
}

/**
 * Reads a day's files of one kind once per range: a label reads the raw days date … date + window, so
 * consecutive dates share all but one of them.
 */
export class RawDayCache {
  private readonly events = new Map<string, ParsedFile<RawEvent>>();
  private readonly sentiment = new Map<string, ParsedFile<RawSentiment>>();

  constructor(
    private readonly lake: Lake,
    private readonly raw: RawIndex,
  ) {}

  private async load<T>(
    map: Map<string, ParsedFile<T>>,
    day: string,
    kind: 'events' | 'sentiment',
    parse: (line: string, ctx: DayContext) => T,
  ): Promise<ParsedFile<T>> {
    let p = map.get(day);
    if (!p) {
      const q: ParsedFile<T> = { records: [], rejected: [] };
      const rejects = new RejectLog();
      for (const f of rawFiles(this.raw, day, kind)) await readRawFile(this.lake, f, day, parse, (r) => q.records.push(r), rejects);
      for (const list of rejects.bySource.values()) q.rejected.push(...list);
      map.set(day, (p = q));
    }
    return p;
  }

  async forEach<K extends 'events' | 'sentiment'>(
    kind: K,
    day: string,
    onRecord: (r: K extends 'events' ? RawEvent : RawSentiment) => void,
    rejects: RejectLog | null,
  ): Promise<void> {
    const p = kind === 'events' ? await this.load(this.events, day, 'events', parseEvent) : await this.load(this.sentiment, day, 'sentiment', parseSentiment);
    if (rejects) for (const r of p.rejected) rejects.add(r);
    for (const r of p.records) onRecord(r as K extends 'events' ? RawEvent : RawSentiment);
  }

  /** Drops the days before `day`. */
  forget(day: string): void {
    for (const m of [this.events, this.sentiment] as Map<string, unknown>[]) for (const d of [...m.keys()]) if (d < day) m.delete(d);
  }
}

export async function collectLabelsForDate(lake: Lake, date: string, opts: LabelOptions, index?: RawIndex, cache?: RawDayCache): Promise<LabelResult> {
  dayStartMs(date);
  const w = opts.windowDays;
  const log = (m: string): void => opts.log.info(m);
  const raw = index ?? (await indexRaw(lake));
  const skip = (reason: string): LabelResult => {
    log(`labels ${date}: skipped, ${reason}`);
    return { date, status: 'skipped', reason, rows: 0, positives: 0, rawRejected: 0, quarantined: [] };
  };
  if (raw.newestComplete === null) return skip('there is no raw data');
  const last = addDays(date, w);
  if (raw.newestComplete < last) {
    return skip(`not mature: its ${w}-day label window needs raw data through ${last}, complete only up to ${raw.newestComplete}`);
  }

  const rejects = new RejectLog();
  const windowMs = w * DAY_MS;
  const days = dayRange(date, last);
  const source = cache ?? new RawDayCache(lake, raw);
  // Pass 1: the day's sends (a reaction may come before its send in file order, so sends are read first).
  const sends = new Map<string, PendingSend>();
  let duplicateSends = 0;
  await source.forEach(
    'events',
    date,
    (e) => {
      if (e.type !== 'send') return;
      if (sends.has(e.send_id)) duplicateSends++;
      else sends.set(e.send_id, { event: e, clicked: false, replies: [] });
    },
    null,
  );
  const contacts = new Set<string>();
  for (const s of sends.values()) contacts.add(s.event.contact_id);

  // Pass 2: reactions and opt-outs in date … date + window.
  const optOuts = new Map<string, number[]>();
  const replyOwner = new Map<string, PendingSend>();
  for (const day of days) {
    await source.forEach(
      'events',
      day,
      (e) => {
        if (e.type === 'send') return;
        if (e.type === 'opt_out') {
          if (!contacts.has(e.contact_id)) return;
          let l = optOuts.get(e.contact_id);
          if (!l) optOuts.set(e.contact_id, (l = []));
          l.push(e.ts);
          return;
        }
        const s = sends.get(e.send_id);
        if (!s || e.ts <= s.event.ts || e.ts > s.event.ts + windowMs) return;
        if (e.type === 'click') s.clicked = true;
        else {
          s.replies.push(e.event_id);
          replyOwner.set(e.event_id, s);
        }
      },
      rejects,
    );
  }
  // Pass 3: sentiment of those replies, as known by the end of the window (latest score wins).
  const sentiment = new Map<string, { ts: number; value: number }>();
  for (const day of days) {
    await source.forEach(
      'sentiment',
      day,
      (r) => {
        if (!replyOwner.has(r.reply_event_id)) return;
        const known = sentiment.get(r.reply_event_id);
        if (!known || r.ts >= known.ts) sentiment.set(r.reply_event_id, { ts: r.ts, value: r.sentiment });
      },
      rejects,
    );
  }

  const ordered = [...sends.values()].sort(
    (a, b) => a.event.ts - b.event.ts || (a.event.send_id < b.event.send_id ? -1 : a.event.send_id > b.event.send_id ? 1 : 0),
  );
  const parts = [csvLine([...LABEL_COLUMNS])];
  let positives = 0;
  for (const s of ordered) {
    const t = s.event.ts;
    const reacted = s.clicked || s.replies.some((id) => isPositiveReaction('reply', sentiment.get(id)?.value));
    const optedOut = (optOuts.get(s.event.contact_id) ?? []).some((o) => o > t && o <= t + windowMs);
    const label = reacted && !optedOut ? 1 : 0;
    positives += label;
    const e = s.event;
    parts.push(csvLine([e.send_id, e.contact_id, e.campaign_id, e.channel, isoSeconds(t), String(label), isoSeconds(t + windowMs)]));
  }
  const csv = parts.join('');
  const quarantined = await writeQuarantine(lake, rejects);
  const report = await writePartition(
    lake,
    'labels',
    date,
    csv,
    {
      windowDays: w,
      rawDaysRead: days.length,
      sends: ordered.length,
      positives,
      duplicateSendsDropped: duplicateSends,
      rawRejected: { total: rejects.total, byReason: rejects.counts },
    },
    opts.maxRowCountChange,
  );
  const path = partitionPath('labels', date);
  log(`labels ${date}: ${ordered.length} sends, ${positives} positive → ${path}`);
  return { date, status: 'written', path, rows: ordered.length, positives, rawRejected: rejects.total, quarantined, report };
}

export async function collectLabelsRange(lake: Lake, from: string, to: string, opts: LabelOptions): Promise<LabelResult[]> {
  const dates = dayRange(from, to);
  const index = await indexRaw(lake);
  const cache = new RawDayCache(lake, index);
  const out: LabelResult[] = [];
  for (const d of dates) {
    cache.forget(d);
    out.push(await collectLabelsForDate(lake, d, opts, index, cache));
  }
  return out;
}

/**
 * Catch-up for the daily timer: labels every mature send date (window closed against the newest complete
 * raw day) that holds raw data and has no labels partition yet, oldest first. A day that landed late,
 * or a timer run that was missed, is labelled on the next run instead of being left out for good.
 */
export async function collectPendingLabels(lake: Lake, opts: LabelOptions): Promise<LabelResult[]> {
  const index = await indexRaw(lake);
  if (index.newestComplete === null) return [];
  const newest = newestLabelableDate(index.newestComplete, opts.windowDays);
  const done = new Set<string>();
  for (const e of await lake.list('labels')) {
    const m = LABEL_PATH_RE.exec(e.path);
    if (m) done.add(`${m[1]}-${m[2]}-${m[3]}`);
  }
  const cache = new RawDayCache(lake, index);
  const out: LabelResult[] = [];
  for (const day of index.sortedDays) {
    if (day > newest || done.has(day)) continue;
    cache.forget(day);
    out.push(await collectLabelsForDate(lake, day, opts, index, cache));
  }
  return out;
}

const LABEL_PATH_RE = /^labels\/(\d{4})\/(\d{2})\/(\d{2})\/part-0\.csv$/;
