/**
 * Platt scaling (Platt 1999, as scikit-learn's `_sigmoid_calibration`): fit p = sigmoid(a·z + b) to
 * labels on out-of-fold logits z, with Platt's smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2) so a
 * separable fold cannot push a to infinity. Two parameters: Newton's method converges in a few steps.
 */
export interface PlattParameters {
  a: number;
  b: number;
}

export function fitPlatt(z: ArrayLike<number>, y: ArrayLike<number>): PlattParameters {
  const n = z.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const t = Float64Array.from({ length: n }, (_, i) => (y[i] ? hi : lo));
  // A tiny ridge on the Hessian for safety; the calibration slope (calibration.ts) fits the plain labels without one.
  const { a, b } = fitSigmoidLine(z, t, { tolerance: 1e-12, ridge: 1e-12 });
  return { a, b };
}

export interface SigmoidLineOptions {
  /** Stop once max |∇| ≤ tolerance·n. */
  tolerance: number;
  /** Added to the Hessian's diagonal, relative to its trace (0: none). */
  ridge?: number;
  /** Fit b alone with a fixed at this (z as an offset). */
  fixedSlope?: number;
}

/**
 * The one maximum-likelihood fit of targets t ∈ [0, 1] by sigmoid(a·z + b), for Platt scaling (smoothed
 * targets) and the calibration slope and intercept (the labels themselves): Newton's method from
 * a = 1 (or the fixed slope), b = 0, each step halved until the loss −Σ[t·log σ(u) + (1−t)·log(1−σ(u))]
 * = Σ softplus(u) − t·u does not rise beyond its rounding.
 */
export function fitSigmoidLine(z: ArrayLike<number>, t: ArrayLike<number>, options: SigmoidLineOptions): { a: number; b: number; converged: boolean } {
  const n = z.length;
  const fixed = options.fixedSlope;
  const ridgeShare = options.ridge ?? 0;
  let a = fixed ?? 1;
  let b = 0;
  // The loss at (a, b) and the gradient and Hessian there, in one pass and one exp per row: the point a
  // step is accepted at is the next iteration's, so each iteration reads the rows once per step tried.
  // softplus(u) = max(u, 0) + log1p(e) and sigmoid(u) = (u ≥ 0 ? 1 : e)/(1 + e) with e = exp(−|u|): the
  // same values score.ts's softplus and sigmoid give.
  const at = { f: 0, ga: 0, gb: 0, haa: 0, hab: 0, hbb: 0 };
  const evaluate = (a: number, b: number, out: typeof at): void => {
    let f = 0;
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      const u = a * zi + b;
      const e = Math.exp(u > 0 ? -u : u);
      f += (u > 0 ? u + Math.log1p(e) : Math.log1p(e)) - t[i]! * u;
      const q = u >= 0 ? 1 / (1 + e) : e / (1 + e);
      const r = q - t[i]!;
      const w = q * (1 - q);
      ga += r * zi;
      gb += r;
      haa += w * zi * zi;
      hab += w * zi;
      hbb += w;
    }
    Object.assign(out, { f, ga, gb, haa, hab, hbb });
  };
  const tried = { ...at };
  evaluate(a, b, at);
  for (let iter = 0; iter < 100; iter++) {
    const { haa, hab, hbb } = at;
    const ga = fixed !== undefined ? 0 : at.ga;
    const gb = at.gb;
    if (Math.max(Math.abs(ga), Math.abs(gb)) <= options.tolerance * n) return { a, b, converged: true };
    let da = 0;
    let db: number;
    if (fixed !== undefined) {
      db = gb / hbb;
    } else {
      const ridge = ridgeShare * (haa + hbb);
      const det = (haa + ridge) * (hbb + ridge) - hab * hab;
      da = ((hbb + ridge) * ga - hab * gb) / det;
      db = ((haa + ridge) * gb - hab * ga) / det;
    }
    if (!Number.isFinite(da) || !Number.isFinite(db)) break;
    // Newton step, halved until the loss does not rise. The log-likelihood is concave, so this only guards the
    // first steps; near the optimum the loss changes below its rounding (1e-16 relative), and a strict test there
    // rejected the step that finishes the job and crept on in tiny steps for all 100 iterations (30 s on 16,000 rows).
    let step = 1;
    let accepted = false;
    for (let k = 0; k < 50; k++) {
      evaluate(a - step * da, b - step * db, tried);
      if (tried.f <= at.f + 1e-13 * Math.abs(at.f)) {
        a -= step * da;
        b -= step * db;
        Object.assign(at, tried);
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) break;
  }
  return { a, b, converged: false };
}
