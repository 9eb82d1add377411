import type { Lake } from '../ports/lake';
import { isPositiveReaction } from '../features/compute';
import { addDays, DAY_MS, dayRange, dayStartMs, isoSeconds } from './days';
import { csvLine } from './csv';
import { indexRaw, parseEvent, parseSentiment, rawFiles, readRawFile, RejectLog, type RawEvent, type RawIndex, writeQuarantine } from './raw';
import { partitionPath, writePartition } from './partitions';
import { LABEL_COLUMNS, type ValidationReport } from './quality';

/**
 * Label collection, the feedback loop (ARCHITECTURE.md section 4): a send at t gets label 1 when the
 * contact clicks, or replies with sentiment ≥ 0 (or not scored), within (t, t + window] and does not opt
 * out in that window. A day is labelled only once the window of its last possible send has passed,
 * measured against the newest complete day of raw data, never the wall clock; a label therefore reads
 * only raw days date … date + window, and a replayed history labels exactly the same way.
 */

export interface LabelOptions {
  windowDays: number;
  maxRowCountChange?: number;
  log?: (message: string) => void;
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

export async function collectLabelsForDate(lake: Lake, date: string, opts: LabelOptions, index?: RawIndex): Promise<LabelResult> {
  dayStartMs(date);
  const w = opts.windowDays;
  const log = opts.log ?? (() => {});
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
  // Pass 1: the day's sends (a reaction may come before its send in file order, so sends are read first).
  const sends = new Map<string, PendingSend>();
  let duplicateSends = 0;
  for (const f of rawFiles(raw, date, 'events')) {
    await readRawFile(lake, f, date, parseEvent, (e) => {
      if (e.type !== 'send') return;
      if (sends.has(e.send_id)) duplicateSends++;
      else sends.set(e.send_id, { event: e, clicked: false, replies: [] });
    }, new RejectLog());
  }
  const contacts = new Set<string>();
  for (const s of sends.values()) contacts.add(s.event.contact_id);

  // Pass 2: reactions and opt-outs in date … date + window.
  const optOuts = new Map<string, number[]>();
  const replyOwner = new Map<string, PendingSend>();
  const days = dayRange(date, last);
  for (const day of days) {
    for (const f of rawFiles(raw, day, 'events')) {
      await readRawFile(lake, f, day, parseEvent, (e) => {
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
      }, rejects);
    }
  }
  // Pass 3: sentiment of those replies, as known by the end of the window (latest score wins).
  const sentiment = new Map<string, { ts: number; value: number }>();
  for (const day of days) {
    for (const f of rawFiles(raw, day, 'sentiment')) {
      await readRawFile(lake, f, day, parseSentiment, (r) => {
        if (!replyOwner.has(r.reply_event_id)) return;
        const known = sentiment.get(r.reply_event_id);
        if (!known || r.ts >= known.ts) sentiment.set(r.reply_event_id, { ts: r.ts, value: r.sentiment });
      }, rejects);
    }
  }

  const ordered = [...sends.values()].sort((a, b) => a.event.ts - b.event.ts || (a.event.send_id < b.event.send_id ? -1 : a.event.send_id > b.event.send_id ? 1 : 0));
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
  const out: LabelResult[] = [];
  for (const d of dates) out.push(await collectLabelsForDate(lake, d, opts, index));
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
  const out: LabelResult[] = [];
  for (const day of index.sortedDays) {
    if (day > newest || done.has(day)) continue;
    out.push(await collectLabelsForDate(lake, day, opts, index));
  }
  return out;
}

const LABEL_PATH_RE = /^labels\/(\d{4})\/(\d{2})\/(\d{2})\/part-0\.csv$/;
