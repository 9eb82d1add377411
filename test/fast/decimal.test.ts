import { parseFeatureValue } from '../../shared/domain/features/values';
import { exactDecimal, readDecimal, scanDecimal, scanned } from '../../shared/fast/decimal';

/**
 * The one exact decimal reader against its plain twin, parseFeatureValue (the definition of a feature
 * value): whenever exactDecimal gives a number it is exactly Number(text), which parseFeatureValue
 * gives too, and readDecimal (exactDecimal, else the twin) always gives what the twin gives.
 */
const bytes = (t: string): Buffer => Buffer.from(t, 'latin1');
const read = (t: string): number => exactDecimal(bytes(t), 0, t.length);
const check = (t: string): void => {
  const v = read(t);
  if (!Number.isNaN(v) && !Object.is(v, Number(t))) expect([t, v]).toEqual([t, Number(t)]);
  const twin = parseFeatureValue(t);
  const both = readDecimal(bytes(t), 0, t.length);
  if (!Object.is(both, twin) && !(Number.isNaN(both) && Number.isNaN(twin))) expect([t, both]).toEqual([t, twin]);
};

let s = 42;
const r = (): number => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 4294967296;
};

test('exactDecimal equals Number(text) or declines; readDecimal equals the twin', () => {
  // Includes exact halfway points between two doubles, which round to even (4503599627370497.5 …).
  for (const t of [
    '0',
    '-0',
    '+0',
    '1.',
    '.5',
    '-.5',
    '.',
    '-',
    '+',
    '',
    '1e5',
    '1e',
    '1e+',
    '-2.5E-3',
    '3e22',
    '3e23',
    '1e400',
    '12345678901234567e-5',
    '0x10',
    ' 1',
    '1 ',
    'NaN',
    'Infinity',
    '1,5',
    '--1',
    '00012.5000',
    '9007199254740992',
    '9007199254740993',
    '0.9007199254740993',
    '1.7976931348623157',
    '0.0000000000000000000001',
    '0.00000000000000000000001',
    '4503599627370497.5',
    '4503599627370496.5',
    '9007199254740995',
    '2251799813685248.25',
    '2251799813685249.75',
    '-4503599627370497.5',
  ])
    check(t);
  for (let i = 0; i < 300_000; i++) {
    check(String(r() * 10 ** Math.floor(r() * 8 - 4)));
    check(String(-r()));
    // Random digit strings with a point somewhere: 1..24 digits.
    const n = 1 + Math.floor(r() * 24);
    let t = '';
    for (let k = 0; k < n; k++) t += String(Math.floor(r() * 10));
    const p = Math.floor(r() * (n + 1));
    check(`${t.slice(0, p)}.${t.slice(p)}`);
  }
});

/** The exact decimal text of the point halfway between v > 0 and the next double up. */
function halfwayAbove(v: number): string {
  const f = new DataView(new ArrayBuffer(8));
  f.setFloat64(0, v);
  const bits = f.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & ((1n << 52n) - 1n)) | (1n << 52n);
  // v = mantissa · 2^(exp − 1075); the halfway point is (2·mantissa + 1) · 2^(exp − 1076).
  const k = 1076 - exp; // > 0 for the values below 2^52 used here
  const digits = ((2n * mantissa + 1n) * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
  return `${digits.slice(0, -k)}.${digits.slice(-k)}`.replace(/^0+(?=\d)/, '');
}

test('values next to a halfway point between two doubles read exactly or go to the text parser', () => {
  let declined = 0;
  let cases = 0;
  for (let i = 0; i < 20_000; i++) {
    const half = halfwayAbove(r() * 10 ** Math.floor(r() * 4 - 2));
    const point = half.indexOf('.');
    // Cut the exact halfway text to 16..22 significant digits, then nudge the last digit either way.
    const lead = half.search(/[1-9]/);
    for (const keep of [16, 17, 19, 22]) {
      let end = lead + keep + (lead < point && lead + keep > point ? 1 : 0);
      if (end > half.length) end = half.length;
      const cut = half.slice(0, end);
      for (const t of [cut, bump(cut, 1), bump(cut, -1)]) {
        if (t === undefined || t.length - point - 1 > 22) continue;
        cases++;
        if (Number.isNaN(read(t))) declined++;
        check(t);
      }
    }
  }
  expect(cases).toBeGreaterThan(100_000);
  // Decline is the rare way out, not the rule: the checks above must exercise the fast path.
  expect(declined / cases).toBeLessThan(0.05);
});

/** t with its last digit moved by ±1 (undefined when that would carry). */
function bump(t: string, by: 1 | -1): string | undefined {
  const d = Number(t[t.length - 1]) + by;
  return d < 0 || d > 9 ? undefined : t.slice(0, -1) + String(d);
}

test('a full-precision double is read without the text parser', () => {
  let declined = 0;
  const wrong: string[] = [];
  for (let i = 0; i < 200_000; i++) {
    const t = String(r() * 4 - 2);
    const v = read(t);
    if (Number.isNaN(v)) declined++;
    else if (!Object.is(v, Number(t))) wrong.push(t);
  }
  expect(wrong).toEqual([]);
  expect(declined).toBeLessThan(10);
});

describe('scanDecimal: the single pass that also finds where the number ends', () => {
  test.each(['0', '-1.5', '+2.25e-3', '1e5', '0.000123456789012345678', '60', '1.', '.5', '7E+2'])('%p then a comma, a line end or other bytes', (text) => {
    for (const after of [',', '\n', '\r\n', 'x', '']) {
      const buf = Buffer.from(`${text}${after}9`);
      const limit = after === '' ? text.length : buf.length;
      const v = scanDecimal(buf, 0, limit);
      expect([text, after, Object.is(v, exactDecimal(Buffer.from(text), 0, text.length)), scanned.end]).toEqual([text, after, true, text.length]);
    }
  });

  test('an exponent without digits, or no digits at all, is NaN', () => {
    for (const text of ['1e', '1e+', '-', '.', 'e5', ',']) expect(scanDecimal(Buffer.from(`${text},`), 0, text.length + 1)).toBeNaN();
  });
});
