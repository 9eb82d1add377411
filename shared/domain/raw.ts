import { addDays, DAY_MS, dayStartMs } from './calendar';
import { baseName, RAW_KINDS, rawKindOf, rawPathParts, SUCCESS_MARKER, type RawKind } from './lakeLayout';

/**
 * Raw records as they land in `raw/yyyy/mm/dd/` (docs/architecture.md, "Lake layout"), their validation,
 * and the quarantine of records that fail it. A bad record is counted and set aside with its reason; it
 * never stops a run.
 */

export type EventType = 'send' | 'click' | 'reply' | 'opt_out';
export type Channel = 'sms' | 'mms';

export interface RawEvent {
  event_id: string;
  contact_id: string;
  campaign_id: string;
  channel: Channel;
  type: EventType;
  /** Milliseconds since the epoch (UTC). */
  ts: number;
  /** For a send: its own id (send_id, or event_id when absent). For a reaction: the send it answers, or '' (opt-out only). */
  send_id: string;
}

export interface RawSentiment {
  reply_event_id: string;
  contact_id: string;
  ts: number;
  sentiment: number;
}

export interface RawCrm {
  contact_id: string;
  opt_out_risk: number;
  updated_at: number;
}

export type { RawKind };

export type RejectReason =
  | 'unparseable_json'
  | 'not_an_object'
  | 'unknown_event_type'
  | 'missing_id'
  | 'bad_channel'
  | 'bad_timestamp'
  | 'timestamp_outside_partition_day'
  | 'bad_value';

export interface Rejected {
  source: string;
  line: number;
  reason: RejectReason;
  detail: string;
  record: string;
}

/** The most of a rejected line kept (in memory and, masked, in quarantine/). */
const MAX_KEPT = 4096;

/** Rejected records of one run: counts by reason, and the records themselves for quarantine/. */
export class RejectLog {
  readonly counts: Partial<Record<RejectReason, number>> = {};
  readonly bySource = new Map<string, Rejected[]>();
  total = 0;

  add(r: Rejected): void {
    // A rejected line is kept only to be masked and written to quarantine/: a huge one is cut here.
    if (r.record.length > MAX_KEPT) r = { ...r, record: r.record.slice(0, MAX_KEPT) };
    this.total++;
    this.counts[r.reason] = (this.counts[r.reason] ?? 0) + 1;
    let list = this.bySource.get(r.source);
    if (!list) this.bySource.set(r.source, (list = []));
    list.push(r);
  }
}

/** A value as a message quotes it: cut, so one strange record cannot make a huge message. */
function shown(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 40 ? `${v.slice(0, 40)}…` : v;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? '[array]' : '[object]';
  return v;
}

class RecordError extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const EVENT_TYPES: ReadonlySet<string> = new Set(['send', 'click', 'reply', 'opt_out']);

function id(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0) throw new RecordError('missing_id', `${field} is missing or empty`);
  return v;
}

function optionalId(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (v === undefined || v === null || v === '') return '';
  return id(o, field);
}

/** The partition's day, precomputed once per file. */
export interface DayContext {
  dayStart: number;
  /** `YYYY-MM-DDT`: the canonical timestamps of this day start with it. */
  prefix: string;
}

export function dayContext(day: string): DayContext {
  return { dayStart: dayStartMs(day), prefix: `${day}T` };
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function time(o: Record<string, unknown>, field: string, ctx: DayContext): number {
  const v = o[field];
  // Fast path for the canonical form `YYYY-MM-DDTHH:MM:SSZ` of the partition's own day.
  if (typeof v === 'string' && v.length === 20 && v.charCodeAt(19) === 90 && v.startsWith(ctx.prefix) && v.charCodeAt(13) === 58 && v.charCodeAt(16) === 58) {
    const h = digits2(v, 11);
    const m = digits2(v, 14);
    const sec = digits2(v, 17);
    if (h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60) return ctx.dayStart + ((h * 60 + m) * 60 + sec) * 1000;
  }
  if (typeof v !== 'string' || !ISO_RE.test(v)) throw new RecordError('bad_timestamp', `${field} is not an ISO-8601 UTC time: ${JSON.stringify(shown(v))}`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new RecordError('bad_timestamp', `${field} is not a valid time: ${v}`);
  if (ms < ctx.dayStart || ms >= ctx.dayStart + DAY_MS) {
    throw new RecordError('timestamp_outside_partition_day', `${field} ${v} is outside the partition's day`);
  }
  return ms;
}

/**
 * The canonical serialization of an event, `{"event_id":"…","contact_id":"…",…,"send_id":"…"}` in this
 * key order with plain string values, read by a handful of indexOf calls: about twice as fast as
 * JSON.parse. Any other line (other order, escapes, numbers, spaces) goes to JSON.parse, which decides;
 * this is a shortcut, never a different dialect.
 */
const EVENT_KEYS = ['event_id', 'contact_id', 'campaign_id', 'channel', 'type', 'ts', 'send_id'] as const;
const EVENT_SEPS = EVENT_KEYS.map((k, i) => (i === 0 ? `{"${k}":"` : `","${k}":"`));

function canonicalEvent(s: string): Record<string, unknown> | null {
  const head = EVENT_SEPS[0] as string;
  if (!s.startsWith(head) || !s.endsWith('"}') || s.indexOf('\\') !== -1) return null;
  const o: Record<string, unknown> = {};
  let p = head.length;
  for (let k = 1; k <= EVENT_SEPS.length; k++) {
    const sep = EVENT_SEPS[k];
    const q = sep === undefined ? s.length - 2 : s.indexOf(sep, p);
    if (q < p) return null;
    const v = s.slice(p, q);
    if (v.indexOf('"') !== -1) return null;
    o[EVENT_KEYS[k - 1] as string] = v;
    if (sep !== undefined) p = q + sep.length;
  }
  return o;
}

function object(line: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    // V8's message quotes the text it choked on, which may be personal data: keep the position only.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new RecordError('unparseable_json', at === undefined ? 'not valid JSON' : `not valid JSON at position ${at}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new RecordError('not_an_object', 'the line is not a JSON object');
  return o as Record<string, unknown>;
}

export function parseEvent(line: string, ctx: DayContext): RawEvent {
  const o = canonicalEvent(line) ?? object(line);
  const type = o.type;
  if (typeof type !== 'string' || !EVENT_TYPES.has(type))
    throw new RecordError('unknown_event_type', `type ${JSON.stringify(shown(type))} is not send/click/reply/opt_out`);
  const event_id = id(o, 'event_id');
  const contact_id = id(o, 'contact_id');
  const channel = o.channel;
  if (channel !== 'sms' && channel !== 'mms') throw new RecordError('bad_channel', `channel ${JSON.stringify(shown(channel))} is not sms/mms`);
  let send_id: string;
  let campaign_id: string;
  if (type === 'send') {
    send_id = optionalId(o, 'send_id') || event_id;
    campaign_id = id(o, 'campaign_id');
  } else {
    send_id = type === 'opt_out' ? optionalId(o, 'send_id') : id(o, 'send_id');
    campaign_id = optionalId(o, 'campaign_id');
  }
  const ts = time(o, 'ts', ctx);
  return { event_id, contact_id, campaign_id, channel, type: type as EventType, ts, send_id };
}

export function parseSentiment(line: string, ctx: DayContext): RawSentiment {
  const o = object(line);
  const reply_event_id = id(o, 'reply_event_id');
  const contact_id = id(o, 'contact_id');
  const s = o.sentiment;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < -2 || s > 2)
    throw new RecordError('bad_value', `sentiment ${JSON.stringify(shown(s))} is not a number in [-2, 2]`);
  return { reply_event_id, contact_id, ts: time(o, 'ts', ctx), sentiment: s };
}

export function parseCrm(line: string, ctx: DayContext): RawCrm {
  const o = object(line);
  const contact_id = id(o, 'contact_id');
  const r = o.opt_out_risk;
  if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1)
    throw new RecordError('bad_value', `opt_out_risk ${JSON.stringify(shown(r))} is not a number in [0, 1]`);
  // Only the id, the value and the time are kept: PII (phone, name) stays in raw/.
  return { contact_id, opt_out_risk: r, updated_at: time(o, 'updated_at', ctx) };
}

/** One line of a raw file: its record, or undefined when it is blank or rejected (then counted in `rejects`). */
export function parseOrReject<T>(
  line: string,
  lineNo: number,
  path: string,
  ctx: DayContext,
  parse: (line: string, ctx: DayContext) => T,
  rejects: RejectLog,
): T | undefined {
  if (line.trim().length === 0) return undefined;
  try {
    return parse(line, ctx);
  } catch (err) {
    if (err instanceof RecordError) {
      rejects.add({ source: path, line: lineNo, reason: err.reason, detail: err.detail, record: line });
      return undefined;
    }
    throw err;
  }
}

export interface RawDay {
  day: string;
  files: Record<RawKind, string[]>;
  complete: boolean;
}

export interface RawIndex {
  days: Map<string, RawDay>;
  /** Sorted days that hold any raw file. */
  sortedDays: string[];
  /**
   * The newest day whose data is complete: the newest day when it carries the completion marker,
   * otherwise the day before it (a later day's data shows the earlier one has closed). Null for an empty lake.
   */
  newestComplete: string | null;
}

/**
 * Groups the paths under raw/ by day and kind (`lake.list('raw')` gives them); files of other names
 * are ignored.
 */
export function indexRawPaths(paths: Iterable<string>): RawIndex {
  const days = new Map<string, RawDay>();
  for (const path of paths) {
    const parts = rawPathParts(path);
    if (!parts) continue;
    let d = days.get(parts.day);
    if (!d) days.set(parts.day, (d = { day: parts.day, files: { events: [], sentiment: [], crm: [] }, complete: false }));
    if (parts.name === SUCCESS_MARKER) d.complete = true;
    const kind = rawKindOf(parts.name);
    if (kind) d.files[kind].push(path);
  }
  const sortedDays = [...days.keys()].sort();
  const newest = sortedDays[sortedDays.length - 1];
  let newestComplete: string | null = null;
  if (newest !== undefined) newestComplete = days.get(newest)?.complete ? newest : addDays(newest, -1);
  return { days, sortedDays, newestComplete };
}

export function rawFiles(index: RawIndex, day: string, kind: RawKind): string[] {
  return index.days.get(day)?.files[kind] ?? [];
}

/** The fields each raw kind defines: anything else a record carries (phone, name, …) is masked in quarantine/. */
const KNOWN_FIELDS: Record<RawKind, ReadonlySet<string>> = {
  events: new Set(['event_id', 'contact_id', 'campaign_id', 'channel', 'type', 'ts', 'send_id']),
  sentiment: new Set(['reply_event_id', 'contact_id', 'ts', 'sentiment']),
  crm: new Set(['contact_id', 'opt_out_risk', 'updated_at']),
};

/**
 * A rejected line as quarantine/ keeps it: its known fields (ids, times, values) as they were, cut
 * to 200 characters, every other field masked, and a line that is not a JSON object not kept at
 * all: personal data (a CRM record's phone and name) never leaves raw/.
 */
export function maskRecord(source: string, line: string): Record<string, unknown> | null {
  const kind = RAW_KINDS.find((k) => baseName(source).startsWith(`${k}-`));
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const known = kind ? KNOWN_FIELDS[kind] : new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (!known.has(k)) out[k] = '[masked]';
    else out[k] = typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…` : typeof v === 'object' && v !== null ? '[masked: not a plain value]' : v;
  }
  return out;
}

/**
 * The quarantine file of one source's rejected records, one JSON line each: the source file and line,
 * the reason, and the record with its personal data masked (maskRecord). A pure function of the raw
 * file, so a file already in quarantine/ can be left as it is.
 */
export function quarantineBody(list: readonly Rejected[]): string {
  const bytes = new TextEncoder();
  return (
    list
      .map((r) => {
        const record = maskRecord(r.source, r.record);
        return JSON.stringify({
          source: r.source,
          line: r.line,
          reason: r.reason,
          detail: r.detail.length > 300 ? `${r.detail.slice(0, 300)}…` : r.detail,
          record,
          ...(record === null ? { record_bytes: bytes.encode(r.record).length, record_note: 'not a JSON object: not kept (it may hold personal data)' } : {}),
        });
      })
      .join('\n') + '\n'
  );
}
