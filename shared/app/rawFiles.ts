import { RAW_ROOT, rawQuarantinePath } from '../domain/lakeLayout';
import { dayContext, indexRawPaths, parseOrReject, quarantineBody, type DayContext, type RawIndex, type RejectLog } from '../domain/raw';
import { ByteLineSplitter } from '../fast/bytes';
import type { Lake } from '../ports/lake';

/** The raw files of the lake: listed by day, read line by line, their rejects quarantined. */

/** Lists raw/ once and groups its files by day and kind. */
export async function indexRaw(lake: Lake): Promise<RawIndex> {
  return indexRawPaths((await lake.list(RAW_ROOT)).map((e) => e.path));
}

/**
 * Calls `onLine` for every line of a lake file, streaming: memory holds one chunk, never the file.
 * Synchronous per line (no promise per record).
 */
export async function forEachLine(lake: Lake, path: string, onLine: (line: string, lineNo: number) => void): Promise<void> {
  const lines = new ByteLineSplitter({
    line: (b, s, e, lineNo) => onLine(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'), lineNo),
    textLine: onLine,
  });
  for await (const chunk of lake.readStream(path)) lines.push(chunk);
  lines.end();
}

/** Streams one raw file, handing each valid record to `onRecord` and each bad one to `rejects`. */
export async function readRawFile<T>(
  lake: Lake,
  path: string,
  day: string,
  parse: (line: string, ctx: DayContext) => T,
  onRecord: (r: T) => void,
  rejects: RejectLog,
): Promise<void> {
  const ctx = dayContext(day);
  await forEachLine(lake, path, (line, lineNo) => {
    const rec = parseOrReject(line, lineNo, path, ctx, parse, rejects);
    if (rec !== undefined) onRecord(rec);
  });
}

/**
 * Writes each source's rejected records to quarantine/ (quarantineBody: reasons, personal data
 * masked). The content is a pure function of the raw file, so a file already there is left as it is.
 */
export async function writeQuarantine(lake: Lake, rejects: RejectLog): Promise<string[]> {
  const written: string[] = [];
  for (const [source, list] of [...rejects.bySource.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = rawQuarantinePath(source);
    if (await lake.exists(path)) continue;
    await lake.write(path, quarantineBody(list));
    written.push(path);
  }
  return written;
}
