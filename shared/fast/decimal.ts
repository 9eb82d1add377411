import { parseFeatureValue } from '../domain/features/values';
import { CHAR, latin1 } from './bytes';

// Module constants, not CHAR.X loads in the hot loops.
const { DOT, LOWER_E, MINUS, NINE, PLUS, UPPER_E, ZERO } = CHAR;

/**
 * The one exact decimal reader: a number's bytes to exactly the double Number(text) gives, without
 * a string. Its plain twin is parseFeatureValue (domain/features/values.ts), which every caller asks
 * when this reader answers NaN, so each value is read as the twin reads it (test/fast/decimal.test.ts
 * checks the two against each other). Justified by bench:score and bench:train: a million rows of
 * seven values each, where a string per value would be most of the time.
 */

const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Dekker's splitter 2^27 + 1: splits a double into two 26-bit halves whose products are exact. */
const SPLITTER = 134217729;
/** How far the double-double quotient may be from a rounding boundary, relative to it: 2^-90. */
const MARGIN = 2 ** -90;
let productLow = 0;

/** a·b = result + productLow exactly (Dekker's TwoProduct; JavaScript has no fused multiply-add). */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  productLow = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

/**
 * buf[a, b) as a feature value — `[+-]digits[.digits][(e|E)[+-]digits]`, the grammar of
 * parseFeatureValue — read to exactly the double Number(text) gives. NaN for any other text, and for
 * the values this reader does not decide: more than 22 significant digits, a decimal exponent
 * outside ±22, or a value too close to a rounding boundary (the caller then asks the plain twin).
 *
 * The digits, as one integer M, split into H (the first 15 significant digits) and L (up to 7 more).
 * - At most 15 digits: M and 10^e are exact doubles, so M·10^e or M / 10^e is correctly rounded
 *   (Clinger's fast path).
 * - More (a double printed in full has 16-17), with e ≤ 0: M = H·10^k + L is formed exactly as a
 *   double-double and divided by 10^-e with an exact remainder, giving q1 + q2 within about
 *   2^-100·q1 of the true quotient. The true quotient rounds to fl(q1 + q2) when q1 + q2 ± 2^-90·q1
 *   round to the same double (rounding is monotonic); otherwise it is near a halfway point (about
 *   2^-37 of values) and the twin decides.
 */
export function exactDecimal(buf: Uint8Array, a: number, b: number): number {
  const v = scanDecimal(buf, a, b);
  return scanned.end === b ? v : NaN;
}

/** Where the last scanDecimal stopped: the first byte after the number (one shared record, not an object per call). */
export const scanned = { end: 0 };

/**
 * The number that starts at buf[a], read in the same single pass as exactDecimal and stopping at the
 * first byte that cannot continue it (before `b`); scanned.end says where. For the hot loops that find a
 * field's end and its value at once: the caller checks the byte at scanned.end (a comma, a line end).
 */
export function scanDecimal(buf: Uint8Array, a: number, b: number): number {
  let i = a;
  let negative = false;
  if (i < b && (buf[i] === MINUS || buf[i] === PLUS)) negative = buf[i++] === MINUS;
  let high = 0;
  let low = 0;
  let lowDigits = 0;
  let significant = 0;
  let digits = 0;
  let frac = -1;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c >= ZERO && c <= NINE) {
      digits++;
      if (significant === 0 && c === ZERO) continue; // leading zeros add nothing to M
      if (significant < 15) high = high * 10 + (c - ZERO);
      else if (significant < 22) {
        low = low * 10 + (c - ZERO);
        lowDigits++;
      } else return NaN;
      significant++;
    } else if (c === DOT && frac < 0) frac = digits;
    else break;
  }
  scanned.end = i;
  if (digits === 0) return NaN;
  let e = frac < 0 ? 0 : -(digits - frac);
  if (i < b && (buf[i] === LOWER_E || buf[i] === UPPER_E)) {
    // An exponent: (e|E)[+-]digits.
    i++;
    let expNegative = false;
    if (i < b && (buf[i] === MINUS || buf[i] === PLUS)) expNegative = buf[i++] === MINUS;
    const expStart = i;
    let exp = 0;
    for (; i < b; i++) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE) break;
      if (exp < 1000) exp = exp * 10 + (c - ZERO);
    }
    scanned.end = i;
    if (i === expStart) return NaN;
    e += expNegative ? -exp : exp;
  }
  let v: number;
  if (lowDigits === 0) {
    if (e < -22 || e > 22) return NaN;
    v = e === 0 ? high : e < 0 ? high / POW10[-e]! : high * POW10[e]!;
  } else {
    if (e > 0 || e < -22) return NaN;
    const mh = twoProduct(high, POW10[lowDigits]!);
    const ml = productLow;
    const sum = mh + low; // TwoSum(mh, low): sum + err = mh + low exactly
    const bv = sum - mh;
    const err = mh - (sum - bv) + (low - bv);
    const lo = err + ml;
    const d = POW10[-e]!;
    const q1 = sum / d;
    const t = twoProduct(q1, d);
    const q2 = (sum - t - productLow + lo) / d; // sum - t is exact (Sterbenz): the remainder
    v = q1 + q2;
    const margin = q1 * MARGIN;
    if (q1 + (q2 - margin) !== v || q1 + (q2 + margin) !== v) return NaN;
  }
  return negative ? -v : v;
}

/**
 * buf[a, b) as a feature value, exactly as parseFeatureValue reads its text: exactDecimal, and the
 * twin itself for what exactDecimal does not decide (NaN for anything that is not a finite value).
 */
export function readDecimal(buf: Uint8Array, a: number, b: number): number {
  const v = exactDecimal(buf, a, b);
  return v === v ? v : parseFeatureValue(latin1(buf, a, b));
}
