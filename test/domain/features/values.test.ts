import { FEATURES, N_FEATURES } from '../../../shared/domain/features/schema';
import { parseFeatureValue } from '../../../shared/domain/features/values';
import { readDecimal } from '../../../shared/fast/decimal';
import { validateRow } from '../../../shared/domain/features/rows';
import { FastRowReader } from '../../../shared/fast/featureRows';
import { validateFeatures } from '../../../shared/domain/quality';

/**
 * One reading of feature values: the scorer (its byte path and its text path), the quality gate and
 * the file-mode trainer's byte parser accept and refuse the same texts, and read the same numbers
 * (parseFeatureValue is the definition; the others are tested against it).
 */
const TEXTS = [
  '0',
  '-0',
  '+0.25',
  '1.',
  '.5',
  '-.5',
  '5e-1',
  '2.5E-1',
  '1e1',
  '0.43528187799224071',
  '60.000000000000001',
  '1.0000000000000001',
  '0.000000000000000000001',
  '00012',
  '1e400',
  '-1e400',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  'inf',
  '0x10',
  '0b1',
  '1_000',
  ' 7',
  '7 ',
  ' 7 ',
  '',
  '.',
  '-',
  '+',
  'e5',
  '1e',
  '1e+',
  '1.2.3',
  '１',
  '٣',
  '3,0',
  '"3"',
  '1e-5',
  '9007199254740993',
  '123456789012345678901234567890',
];

function randomTexts(n: number): string[] {
  let s = 99;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = r() < 0.5 ? r() : r() * 60;
    const k = Math.floor(r() * 5);
    out.push(
      k === 0
        ? String(v)
        : k === 1
          ? v.toExponential(Math.floor(r() * 17))
          : k === 2
            ? v.toFixed(Math.floor(r() * 20))
            : k === 3
              ? String(Math.floor(v))
              : v.toPrecision(1 + Math.floor(r() * 20)),
    );
  }
  return out;
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

test('readDecimal (trainer), validateRow and the byte path (scorer), the quality gate: one grammar, one value', () => {
  const disagreements: string[] = [];
  const index = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const fast = new FastRowReader(index, '2026-05-04');
  for (const text of [...TEXTS, ...randomTexts(5000)]) {
    const def = parseFeatureValue(text);
    const bytes = Buffer.from(text, 'utf8');
    const trainer = bytes.length === 0 ? NaN : readDecimal(bytes, 0, bytes.length);
    if (!same(def, trainer)) disagreements.push(`trainer ${JSON.stringify(text)}: ${trainer} vs ${def}`);
    // The scorer, on a row whose opt_out_risk (range [0, 1]) is this text.
    const ok = Number.isFinite(def) && def >= 0 && def <= 1;
    const fields = ['c1', '2026-05-04', '1', '0', '0', '0', '0', text, '0.5'];
    const x = new Float64Array(N_FEATURES);
    const reason = validateRow(fields, index, '2026-05-04', x, 0);
    if ((reason === undefined) !== ok || (ok && !same(x[5]!, def))) disagreements.push(`validateRow ${JSON.stringify(text)}: ${reason ?? x[5]}`);
    const line = Buffer.from(fields.join(','), 'utf8');
    const y = new Float64Array(N_FEATURES);
    // The byte path may decline a row it cannot read plainly (the text path then decides), never read it differently.
    if (fast.read(line, 0, line.length, y, 0) && (!ok || !same(y[5]!, def))) disagreements.push(`byte path ${JSON.stringify(text)}: ${y[5]}`);
    const gate = validateFeatures(
      `contact_id,as_of,${FEATURES.join(',')}\n${fields.map((f) => (f.includes(',') || f.includes('"') ? `"${f.replaceAll('"', '""')}"` : f)).join(',')}\n`,
      '2026-05-04',
      'p.csv',
    );
    if (gate.ok !== ok) disagreements.push(`gate ${JSON.stringify(text)}: ${gate.ok}`);
  }
  expect(disagreements).toEqual([]);
});
