import { constants as fsConstants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { FeatureRows } from '../domain/features/rows';
import { FEATURES } from '../domain/features/schema';
import { BANDS, SCORES_HEADER, scoreRows, TOP_FACTORS, type ServingModel } from '../domain/serving';
import { GRADES, NO_GRADE } from '../domain/model/grades';
import { CHAR } from './bytes';
import type { RequestHandler } from './channel';

// Module constants, not CHAR.X loads in the hot loops.
const { COMMA, CR, LF, QUOTE } = CHAR;

/*
 * The lake export's parts as bytes. Justified by bench:score (a part per 100,000 contacts, a million
 * contacts per partition): its plain twin, scoresCsv in domain/serving.ts, makes a string per field.
 */

/**
 * The scores CSV of a part, formatted row by row into one reused buffer: a row costs two number texts
 * (the shortest round-trip form of lead_score and probability) and no other string. Justified by
 * bench:score; its plain twin is scoresCsv in domain/serving.ts.
 */
export class ScoresFormatter {
  private out = Buffer.allocUnsafe(1 << 20);
  private o = 0;
  private z = new Float64Array(0);
  private p = new Float64Array(0);
  private s100 = new Uint8Array(0);
  private band = new Uint8Array(0);
  private top = new Int8Array(0);
  private grade = new Uint8Array(0);
  private readonly mid: Buffer;

  constructor(
    private readonly model: ServingModel,
    asOf: string,
  ) {
    this.mid = Buffer.from(`,${asOf},${model.version},`, 'latin1');
  }

  /** Scores `rows` with the model and appends their lines to the part. */
  append(rows: FeatureRows): void {
    if (this.z.length < rows.n) {
      this.z = new Float64Array(rows.n);
      this.p = new Float64Array(rows.n);
      this.s100 = new Uint8Array(rows.n);
      this.band = new Uint8Array(rows.n);
      this.top = new Int8Array(rows.n * TOP_FACTORS);
      this.grade = new Uint8Array(rows.n);
    }
    scoreRows(this.model, rows.x, rows.n, {
      leadScore: this.z,
      probability: this.p,
      score100: this.s100,
      band: this.band,
      top: this.top,
      grade: this.grade,
    });
    let out = this.out;
    let o = this.o === 0 ? out.write(SCORES_HEADER, 0, 'latin1') : this.o;
    const mid = this.mid;
    for (let i = 0; i < rows.n; i++) {
      const a = i === 0 ? 0 : rows.idEnds[i - 1]!;
      const b = rows.idEnds[i]!;
      const z = String(this.z[i]);
      const p = String(this.p[i]);
      const t = i * TOP_FACTORS;
      // At most: the id quoted with every byte doubled, the constants, two numbers, the factor names, the grade.
      const need = 2 * (b - a) + 3 + mid.length + z.length + p.length + 64 + 3 * MAX_NAME;
      if (o + need > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, o + need));
        out.copy(bigger, 0, 0, o);
        out = this.out = bigger;
      }
      o = writeId(out, o, rows.ids, a, b);
      o += mid.copy(out, o);
      o += out.write(z, o, 'latin1');
      out[o++] = COMMA;
      o += out.write(p, o, 'latin1');
      out[o++] = COMMA;
      o += out.write(String(this.s100[i]), o, 'latin1');
      o += TAIL[this.band[i]!]!.copy(out, o);
      o += NAME[this.top[t]!]!.copy(out, o);
      o += NAME[this.top[t + 1]!]!.copy(out, o);
      o += NAME[this.top[t + 2]!]!.copy(out, o);
      // The grade's letter after the last factor's comma (nothing for a version without grades), then the line end.
      const g = this.grade[i]!;
      if (g !== NONE) out[o++] = GRADE_CODE[g]!;
      out[o++] = LF;
    }
    this.o = o;
  }

  /** The part's bytes (valid until the next append); the next append begins a new part. */
  take(): Uint8Array {
    const end = this.o === 0 ? this.out.write(SCORES_HEADER, 0, 'latin1') : this.o;
    this.o = 0;
    return this.out.subarray(0, end);
  }
}

/** What the export thread is asked (scoresExportThread.ts), or the same handler in this thread. */
export type ExportRequest =
  | { op: 'start'; model: ServingModel; asOf: string }
  | ({ op: 'rows' } & FeatureRows)
  /** Ends the part: written to `local` (its verified path in a local lake), or answered as bytes to write. */
  | { op: 'part'; local: string | null };

export interface ExportAnswer {
  bytes: Uint8Array | null;
}

/** The export thread's work (scoresExportThread.ts): format parts; write them where the lake is a local folder, else hand them back. */
export function exportHandler(): RequestHandler<ExportRequest, ExportAnswer> {
  let formatter: ScoresFormatter | undefined;
  return async (req) => {
    if (req.op === 'start') {
      formatter = new ScoresFormatter(req.model, req.asOf);
      return { value: { bytes: null } };
    }
    if (!formatter) throw new Error('export: rows before start');
    if (req.op === 'rows') {
      formatter.append(req);
      return { value: { bytes: null } };
    }
    const bytes = formatter.take();
    if (req.local !== null) {
      // A temporary part, renamed into place at publish: a part cut short by a crash is never published.
      await writeFile(req.local, bytes, { flag: fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW });
      return { value: { bytes: null } };
    }
    const copy = new Uint8Array(bytes);
    return { value: { bytes: copy }, transfer: [copy.buffer] };
  };
}

/** `,<band>,` by band index, and `<feature>,` by feature index (the last comma becomes the line end). */
const TAIL = BANDS.map((b) => Buffer.from(`,${b},`, 'latin1'));
const NAME = FEATURES.map((f) => Buffer.from(`${f},`, 'latin1'));
const MAX_NAME = Math.max(...NAME.map((n) => n.length));
/** The grade's letter by grade index; NONE (no thresholds) writes an empty field. */
const GRADE_CODE = Uint8Array.from(GRADES, (g) => g.charCodeAt(0));
const NONE = NO_GRADE;

/** Writes contact id bytes ids[a, b) at out[o], quoted (RFC 4180) when they hold a comma, quote or line break. */
function writeId(out: Buffer, o: number, ids: Uint8Array, a: number, b: number): number {
  let plain = true;
  for (let i = a; i < b; i++) {
    const c = ids[i]!;
    if (c === COMMA || c === QUOTE || c === LF || c === CR) plain = false;
  }
  if (plain) {
    out.set(ids.subarray(a, b), o);
    return o + (b - a);
  }
  out[o++] = QUOTE;
  for (let i = a; i < b; i++) {
    if (ids[i] === 34) out[o++] = QUOTE;
    out[o++] = ids[i]!;
  }
  out[o++] = QUOTE;
  return o;
}
