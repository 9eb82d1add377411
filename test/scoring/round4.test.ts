import { round4 } from '../../shared/scoring/contact';

/** round4 replaces `${Math.round(v * 1e4) / 1e4}` in the top_factors column: the text must be identical. */
const reference = (v: number): string => `${Math.round(v * 1e4) / 1e4}`;

test('round4 gives the same text as String(Math.round(v * 1e4) / 1e4)', () => {
  const edge = [0, -0, 1e-5, -1e-5, 5e-5, -5e-5, 0.00005, 0.00015, -0.00015, 1.5, -1.5, 0.1, 0.2, 0.3, 1 / 3, -2 / 3, 12.34565, 99999.99995, 1e10, -1e10 - 0.5, 1e11, 1e12 + 0.1234, 123456789012.3456, 1e15, 1e20, 1e22, -1e300, 2 ** 53, NaN, Infinity, -Infinity];
  for (const v of edge) expect(round4(v)).toBe(reference(v));
  let s = 987654321;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < 300_000; i++) {
    // Contributions live around ±10, but cover many magnitudes and exact 4-decimal values too.
    const mag = 10 ** Math.floor(r() * 16 - 6);
    const v = (r() - 0.5) * 2 * mag;
    const exact = Math.round((r() - 0.5) * 2e6) / 1e4;
    if (round4(v) !== reference(v)) expect(round4(v)).toBe(reference(v));
    if (round4(exact) !== reference(exact)) expect(round4(exact)).toBe(reference(exact));
  }
});
