import { twoSidedP, Z95 } from './normal';

/**
 * The two-proportion z-test of an A/B split, as seed 003 reports A/B results: the rate of positives in
 * the treatment arm against the control arm.
 *
 *   rate = positives / n per arm, diff = rate_t − rate_c
 *   z    = diff / √(p̂(1 − p̂)(1/n_c + 1/n_t)), p̂ = (positives_c + positives_t)/(n_c + n_t)  (pooled: the
 *          standard error under the null of equal rates, as statsmodels' proportions_ztest)
 *   p    = two-sided, from the normal
 *   ci95 = diff ± 1.959963984540054·√(rate_c(1 − rate_c)/n_c + rate_t(1 − rate_t)/n_t)  (unpooled Wald:
 *          the interval is about the difference, not under the null)
 *
 * Edge cases, defined rather than NaN: an arm with n = 0 has no rate, so the test throws. When no arm
 * has a positive, or every send of both arms is one, p̂ is 0 or 1 and the pooled SE 0; both rates are
 * then equal, and z = 0, p = 1, ci95 = [0, 0]. With one arm at 0 % and the other at 100 % the pooled SE is
 * positive but the Wald SE is 0, and the interval collapses to [diff, diff]: a known weakness of the
 * Wald interval at rates of 0 or 1, kept so the interval stays the one seed 003 reports.
 */
export interface ArmCount {
  n: number;
  positives: number;
}

export interface TwoProportionResult {
  control: { n: number; positives: number; rate: number };
  treatment: { n: number; positives: number; rate: number };
  /** treatment − control. */
  diff: number;
  /** With the pooled standard error. */
  z: number;
  /** Two-sided. */
  p_value: number;
  /** Unpooled Wald interval, diff ± Z95·SE. */
  ci95: [number, number];
}

function checkArm(name: string, a: ArmCount): void {
  if (!Number.isInteger(a.n) || a.n < 0 || !Number.isInteger(a.positives) || a.positives < 0 || a.positives > a.n) {
    throw new Error(`the ${name} arm needs whole counts with 0 ≤ positives ≤ n: got n = ${a.n}, positives = ${a.positives}`);
  }
  if (a.n === 0) throw new Error(`the ${name} arm has no sends (n = 0), so it has no rate to compare`);
}

export function twoProportionTest(control: ArmCount, treatment: ArmCount): TwoProportionResult {
  checkArm('control', control);
  checkArm('treatment', treatment);
  const rc = control.positives / control.n;
  const rt = treatment.positives / treatment.n;
  const diff = rt - rc;
  const pooled = (control.positives + treatment.positives) / (control.n + treatment.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  // sePooled = 0 only when p̂ is 0 or 1, hence both rates equal and diff = 0.
  const z = sePooled > 0 ? diff / sePooled : 0;
  const seWald = Math.sqrt((rc * (1 - rc)) / control.n + (rt * (1 - rt)) / treatment.n);
  return {
    control: { n: control.n, positives: control.positives, rate: rc },
    treatment: { n: treatment.n, positives: treatment.positives, rate: rt },
    diff,
    z,
    p_value: twoSidedP(z),
    ci95: [diff - Z95 * seWald, diff + Z95 * seWald],
  };
}
