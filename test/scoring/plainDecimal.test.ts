import { plainDecimal } from '../../shared/scoring/featureRows';

/** Whenever plainDecimal gives a number, it must be exactly Number(text) (the value the text path reads). */
const check = (t: string): void => {
  const v = plainDecimal(Buffer.from(t, 'latin1'), 0, t.length);
  if (!Number.isNaN(v) && !Object.is(v, Number(t))) expect([t, v]).toEqual([t, Number(t)]);
};

test('plainDecimal equals Number(text) or declines', () => {
  for (const t of ['0', '-0', '+0', '1.', '.5', '-.5', '.', '-', '+', '', '1e5', '0x10', ' 1', '1 ', '00012.5000', '9007199254740992', '9007199254740993', '0.9007199254740993', '1.7976931348623157', '0.0000000000000000000001', '0.00000000000000000000001']) check(t);
  expect(plainDecimal(Buffer.from('9007199254740993'), 0, 16)).toBeNaN();
  let s = 42;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < 300_000; i++) {
    check(String(r() * 10 ** Math.floor(r() * 8 - 4)));
    check(String(-r()));
    // Random digit strings with a point somewhere: 1..20 digits.
    const n = 1 + Math.floor(r() * 20);
    let t = '';
    for (let k = 0; k < n; k++) t += String(Math.floor(r() * 10));
    const p = Math.floor(r() * (n + 1));
    check(`${t.slice(0, p)}.${t.slice(p)}`);
  }
});
