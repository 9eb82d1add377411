import { FEATURES, FEATURE_RANGES, N_FEATURES } from '../../shared/domain/features/schema';
import { parseFeatureValue } from '../../shared/domain/features/values';
import { parseCsv } from '../../shared/domain/csv';
import { CsvInputError, parseNumericCsv } from '../../shared/fast/numericCsv';
import { seeded } from '../support/random';

/**
 * The training CSV reader (fast/numericCsv.ts) against its plain twin: csv-parse (domain/csv.ts) for
 * the fields and parseFeatureValue for each value. On random files — any column order, ignored
 * columns with quotes and commas, CRLF or LF, a BOM, numbers written every way the grammar allows —
 * both give the same matrix bit for bit, and a file the twin finds a bad value in is refused.
 */
function plainTwin(text: string): { x: number[]; y: number[] } | 'refused' {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0]!;
  const at = [...FEATURES, 'label'].map((name) => header.indexOf(name));
  const x: number[] = [];
  const y: number[] = [];
  for (const r of rows.slice(1)) {
    if (r.length !== header.length) return 'refused';
    for (let k = 0; k < N_FEATURES; k++) {
      const v = parseFeatureValue(r[at[k]!]!);
      const [lo, hi] = FEATURE_RANGES[FEATURES[k]!];
      if (Number.isNaN(v) || v < lo || v > hi || (k === 0 && !Number.isInteger(v))) return 'refused';
      x.push(v);
    }
    const label = r[at[N_FEATURES]!]!;
    if (label !== '0' && label !== '1') return 'refused';
    y.push(Number(label));
  }
  return { x, y };
}

function writeValue(v: number, r: () => number): string {
  const plain = String(v);
  switch (Math.floor(r() * 5)) {
    case 0:
      return v.toExponential(Math.floor(r() * 17));
    case 1:
      return v.toFixed(Math.floor(r() * 20));
    case 2:
      return v >= 0 && r() < 0.5 ? `+${plain}` : plain;
    case 3:
      return v.toPrecision(1 + Math.floor(r() * 21));
    default:
      return plain;
  }
}

function randomFile(seed: number, rows: number): string {
  const r = seeded(seed);
  const columns = [...FEATURES, 'label', 'note', 'contact_id'].sort(() => r() - 0.5);
  const eol = r() < 0.5 ? '\n' : '\r\n';
  const lines = [columns.join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(
      columns
        .map((c) => {
          if (c === 'label') return r() < 0.5 ? '0' : '1';
          if (c === 'note') return r() < 0.3 ? `"a, ""quoted"" note ${i}"` : `n${i}`;
          if (c === 'contact_id') return `c${i}`;
          if (c === 'recency_days') return String(Math.floor(r() * 61));
          const [lo, hi] = FEATURE_RANGES[c as (typeof FEATURES)[number]];
          const v = lo + r() * (Math.min(hi, 1e6) - lo);
          return writeValue(Math.min(hi, Math.max(lo, v)), r);
        })
        .join(','),
    );
  }
  return (r() < 0.2 ? '\uFEFF' : '') + lines.join(eol) + (r() < 0.7 ? eol : '');
}

describe('numeric CSV reader = csv-parse + parseFeatureValue', () => {
  test('40 random files: the same matrix bit for bit, or both refuse', () => {
    let accepted = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const text = randomFile(seed, 200);
      const twin = plainTwin(text);
      if (twin === 'refused') {
        expect(() => parseNumericCsv(Buffer.from(text), { file: 'f.csv', labelled: true })).toThrow(CsvInputError);
        continue;
      }
      const fast = parseNumericCsv(Buffer.from(text), { file: 'f.csv', labelled: true });
      expect(fast.n).toBe(200);
      expect(Array.from(fast.y)).toEqual(twin.y);
      expect(Array.from(fast.x).findIndex((v, i) => !Object.is(v, twin.x[i]))).toBe(-1);
      accepted++;
    }
    // Most files are valid, so the comparison is of values, not of two refusals.
    expect(accepted).toBeGreaterThan(30);
  });

  test.each(['1e400', 'NaN', '0x10', ' 0.5', '0.5 ', '.', '1..2', '--1', 'Infinity', ''])('refuses %p as a value, as the twin does', (bad) => {
    const row = FEATURES.map((f) => (f === 'fatigue_score' ? bad : f === 'recency_days' ? '3' : '0.5'));
    const text = `${FEATURES.join(',')},label\n${row.join(',')},1\n`;
    expect(plainTwin(text)).toBe('refused');
    expect(() => parseNumericCsv(Buffer.from(text), { file: 'f.csv', labelled: true })).toThrow(/^f\.csv:2 column 'fatigue_score'/);
  });
});
