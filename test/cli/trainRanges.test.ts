import { FEATURES, FEATURE_RANGES, N_FEATURES } from '../../shared/domain/features/schema';
import { parseFeatureValue } from '../../shared/domain/features/values';
import { CsvInputError, parseNumericCsv } from '../../shared/fast/numericCsv';
import { validateFeatures } from '../../shared/domain/quality';

/**
 * File mode and the lake's quality gate accept and refuse the same feature values (issue 12,
 * item 2): every text below, in every feature column, through the trainer's reader (its byte loop
 * and its general code) and through validateFeatures.
 */
const TEXTS = [
  '0',
  '-0',
  '+0',
  '1',
  '1.0',
  '1.',
  '.5',
  '-.5',
  '5e-1',
  '2.5E-1',
  '1e1',
  '6e1',
  '60',
  '60.0',
  '60.000000000000001',
  '61',
  '59.999999999999999',
  '1.0000000000000001',
  '1.0000000000000002',
  '0.9999999999999999',
  '-0.0000000001',
  '2',
  '2.0000000000000004',
  '-2',
  '-2.0000000000000004',
  '3',
  '-3',
  '0.5',
  '12.5e-1',
  '125e-1',
  '1e200',
  '-1e200',
  '1e-300',
  '1e400',
  'NaN',
  'inf',
  '',
  ' 1',
  '1 ',
  '0x1',
  '١',
  '123456789012345678901234567890',
  '0.00000000000000000000001',
  '30',
  '30.5',
  '3e1',
  '0.3e2',
  '45.0000000001',
];

function randomTexts(n: number): string[] {
  let s = 2024;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = (r() - 0.2) * (r() < 0.5 ? 3 : 80);
    const k = Math.floor(r() * 4);
    out.push(k === 0 ? String(v) : k === 1 ? v.toFixed(Math.floor(r() * 4)) : k === 2 ? String(Math.round(v)) : v.toExponential(Math.floor(r() * 6)));
  }
  return out;
}

const MIDDLE = ['30', '0.5', '0', '0.5', '0.5', '0.5', '0.5'];

/** The trainer's verdict on one row whose feature j is `text`: the value read, or the error's detail. */
function trainer(j: number, text: string, crlf: boolean): { value: number } | { error: string } {
  const cells = [...MIDDLE];
  cells[j] = text;
  const eol = crlf ? '\r\n' : '\n';
  const csv = `${FEATURES.join(',')},label${eol}${MIDDLE.join(',')},0${eol}${cells.join(',')},1${eol}`;
  try {
    const d = parseNumericCsv(Buffer.from(csv), { file: 't.csv', labelled: true });
    return { value: d.x[N_FEATURES + j]! };
  } catch (err) {
    if (!(err instanceof CsvInputError)) throw err;
    expect(err.line).toBe(3);
    expect(err.column).toBe(FEATURES[j]);
    return { error: err.detail };
  }
}

function gate(j: number, text: string): boolean {
  const cells = [...MIDDLE];
  cells[j] = text;
  return validateFeatures(`contact_id,as_of,${FEATURES.join(',')}\nc1,2026-05-04,${cells.join(',')}\n`, '2026-05-04', 'p.csv').ok;
}

test('the trainer accepts exactly what the quality gate accepts, in every column, and reads the same number', () => {
  const disagreements: string[] = [];
  for (const text of [...TEXTS, ...randomTexts(1000)]) {
    FEATURES.forEach((f, j) => {
      const accepted = gate(j, text);
      for (const crlf of [false, true]) {
        const t = trainer(j, text, crlf);
        if ('value' in t !== accepted)
          disagreements.push(`${f} ${JSON.stringify(text)}${crlf ? ' (CRLF)' : ''}: trainer ${JSON.stringify(t)}, gate ${accepted ? 'accepts' : 'refuses'}`);
        else if ('value' in t && !Object.is(t.value, parseFeatureValue(text))) disagreements.push(`${f} ${JSON.stringify(text)}: read ${t.value}`);
      }
    });
  }
  expect(disagreements).toEqual([]);
});

test('a value out of range is named in the words of featureValueProblem and the gate', () => {
  FEATURES.forEach((f, j) => {
    const [lo, hi] = FEATURE_RANGES[f];
    expect(trainer(j, String(hi + 1), false)).toEqual({ error: `${hi + 1} outside [${lo}, ${hi}]` });
    expect(trainer(j, String(lo - 0.5), false)).toEqual({ error: `${lo - 0.5} outside [${lo}, ${hi}]` });
    const report = validateFeatures(
      `contact_id,as_of,${FEATURES.join(',')}\nc1,2026-05-04,${MIDDLE.map((m, k) => (k === j ? String(hi + 1) : m)).join(',')}\n`,
      '2026-05-04',
      'p.csv',
    );
    expect(report.checks.find((c) => c.name === 'ranges')?.examples).toEqual([`row 1, column ${f}: ${hi + 1} outside [${lo}, ${hi}]`]);
  });
  expect(trainer(0, '30.5', false)).toEqual({ error: '30.5 is not a whole number of days' });
});
