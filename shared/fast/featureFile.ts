import { N_FEATURES } from '../domain/features/schema';
import { splitCsvLine, validateRow } from '../domain/features/rows';
import { featureColumns } from '../domain/features/values';
import type { ByteLineReader } from './bytes';
import type { ContactIdSet } from './contactIdSet';
import { FastRowReader, type RowBuffer } from './featureRows';

/**
 * One data file of a features partition, read line by line (ByteLineSplitter) into row buffers: a
 * plain line by the byte-level FastRowReader, any other by its plain twin (splitCsvLine and
 * validateRow, domain/features/rows.ts), which decides and names the reason. A duplicate contact
 * within the partition is refused whichever path read it. Justified by bench:score.
 */

/** A row set aside: its line, the contact id as far as it could be read, the reason, the line's text. */
export type RejectRow = (line: number, contactId: string, reason: string, text: string) => void;

/** A line as kept in quarantine/: cut, so one strange line cannot make a huge file or message. */
function lineText(b: Uint8Array, s: number, e: number): string {
  const text = Buffer.from(b.buffer, b.byteOffset + s, Math.min(e, s + 2000) - s).toString('utf8');
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

const DUPLICATE = 'contact_id: duplicate within the partition';
/** The longest header line read: a features file's header is a few hundred bytes. */
const MAX_HEADER = 64 * 1024;

export class FeatureFileReader implements ByteLineReader {
  private index: number[] | undefined;
  private fast: FastRowReader | undefined;
  /** Rows read into the buffers. */
  good = 0;

  constructor(
    private readonly file: string,
    private readonly asOf: string,
    private readonly ids: ContactIdSet,
    /** Where the next row goes; the caller swaps in a fresh buffer after a pause (the buffer is full). */
    public rows: RowBuffer,
    private readonly reject: RejectRow,
  ) {}

  /** Whether the header was read (a file without one is not a features file). */
  get started(): boolean {
    return this.index !== undefined;
  }

  /** Reads one line; true (pause) when the row buffer is full. */
  line(b: Uint8Array, s: number, e: number, lineNo: number): boolean {
    if (this.index === undefined) {
      if (e - s > MAX_HEADER) throw new Error(`${this.file}:1: the header line is longer than 64 KiB; not a features file`);
      this.header(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'));
      return false;
    }
    const rows = this.rows;
    const at = rows.n * N_FEATURES;
    const fast = this.fast!;
    if (fast.read(b, s, e, rows.x, at)) {
      if (!this.ids.addBytes(b, fast.idStart, fast.idEnd)) {
        this.reject(lineNo, Buffer.from(b.buffer, b.byteOffset + fast.idStart, fast.idEnd - fast.idStart).toString('latin1'), DUPLICATE, lineText(b, s, e));
        return false;
      }
      rows.pushBytes(b, fast.idStart, fast.idEnd);
    } else if (!this.plainRow(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'), lineNo, lineText(b, s, e))) return false;
    this.good++;
    return rows.full;
  }

  /** The file's last line, without its LF. */
  textLine(line: string, lineNo: number): void {
    if (this.index === undefined) {
      this.header(line);
      return;
    }
    if (this.plainRow(line, lineNo, line.length > 1000 ? `${line.slice(0, 1000)}…` : line)) this.good++;
  }

  private header(text: string): void {
    this.index = featureColumns(splitCsvLine(text), this.file);
    this.fast = new FastRowReader(this.index, this.asOf);
  }

  /** A line by the plain rules; true when it became a row. */
  private plainRow(line: string, lineNo: number, text: string): boolean {
    const index = this.index!;
    const rows = this.rows;
    const fields = splitCsvLine(line);
    const reason = validateRow(fields, index, this.asOf, rows.x, rows.n * N_FEATURES);
    const contactId = fields[index[0]!] ?? '';
    if (reason !== undefined || !this.ids.add(contactId)) {
      this.reject(lineNo, contactId, reason ?? DUPLICATE, text);
      return false;
    }
    rows.pushString(contactId);
    return true;
  }
}
