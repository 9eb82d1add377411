/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, algorithms 7.4, 3.5, 3.6),
 * the solver scikit-learn's LogisticRegression(solver='lbfgs') uses through SciPy.
 */

/** Returns f(x) and writes ∇f(x) into g. */
export type Objective = (x: Float64Array, g: Float64Array) => number;

export interface LbfgsOptions {
  /** Converged when max |∇f| ≤ gtol. */
  gtol?: number;
  maxIterations?: number;
  /** Correction pairs kept (SciPy's default is 10). */
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  gradMax: number;
  iterations: number;
  converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

export function lbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const gtol = options.gtol ?? 1e-10;
  const maxIterations = options.maxIterations ?? 1000;
  const m = options.memory ?? 10;
  const dim = x0.length;

  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(dim);
  let f = objective(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(dim);
  const alpha = new Float64Array(m);
  let iterations = 0;

  while (iterations < maxIterations) {
    if (maxAbs(g) <= gtol) return { x, f, gradMax: maxAbs(g), iterations, converged: true };

    // Two-loop recursion: d = -H·g.
    for (let i = 0; i < dim; i++) d[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, d);
      const yk = Y[k]!;
      for (let i = 0; i < dim; i++) d[i]! -= alpha[k]! * yk[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < dim; i++) d[i]! *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, d);
      const sk = S[k]!;
      for (let i = 0; i < dim; i++) d[i]! += sk[i]! * (alpha[k]! - beta);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < dim; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    const step0 = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const ls = wolfeLineSearch(objective, x, f, d, slope, step0, gtol);
    if (!ls) {
      // No step lowers f any more: we are at the floor of floating-point precision.
      const gm = maxAbs(g);
      return { x, f, gradMax: gm, iterations, converged: gm <= gtol * 1e3 };
    }
    iterations++;
    const s = new Float64Array(dim);
    const y = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = ls.x[i]! - x[i]!;
      y[i] = ls.g[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    x = ls.x;
    g = ls.g;
    f = ls.f;
  }
  return { x, f, gradMax: maxAbs(g), iterations, converged: maxAbs(g) <= gtol };
}

interface Point {
  x: Float64Array;
  f: number;
  g: Float64Array;
  slope: number;
  /** The gradient already meets the tolerance: no need to satisfy Wolfe, we are done. */
  done: boolean;
}

function wolfeLineSearch(
  objective: Objective,
  x: Float64Array,
  f0: number,
  d: Float64Array,
  slope0: number,
  step0: number,
  gtol: number,
): { x: Float64Array; f: number; g: Float64Array } | null {
  const c1 = 1e-4;
  const c2 = 0.9;
  const dim = x.length;
  const evaluate = (t: number): Point => {
    const xt = new Float64Array(dim);
    for (let i = 0; i < dim; i++) xt[i] = x[i]! + t * d[i]!;
    const gt = new Float64Array(dim);
    const ft = objective(xt, gt);
    return { x: xt, f: ft, g: gt, slope: dot(gt, d), done: maxAbs(gt) <= gtol };
  };

  // Near the optimum f changes by less than its rounding error and the Armijo test becomes noise;
  // there the approximate Wolfe condition of Hager & Zhang (2005) judges by the slope instead,
  // which lets the gradient reach a tolerance far below what f alone can resolve.
  const fTolerance = 1e-13 * Math.abs(f0);
  const sufficientDecrease = (t: number, p: Point): boolean => p.f <= f0 + c1 * t * slope0 || (p.f <= f0 + fTolerance && p.slope <= (1 - 2 * c1) * slope0);

  let tPrev = 0;
  let fPrev = f0;
  let slopePrev = slope0;
  let t = step0;
  for (let i = 0; i < 30; i++) {
    const p = evaluate(t);
    if (p.done) return p;
    if (!sufficientDecrease(t, p) || (i > 0 && p.f >= fPrev)) {
      return zoom(tPrev, fPrev, slopePrev, t, p.f, p.slope);
    }
    if (Math.abs(p.slope) <= -c2 * slope0) return p;
    if (p.slope >= 0) return zoom(t, p.f, p.slope, tPrev, fPrev, slopePrev);
    tPrev = t;
    fPrev = p.f;
    slopePrev = p.slope;
    t *= 2;
  }
  return null;

  function zoom(tLo: number, fLo: number, sLo: number, tHi: number, fHi: number, sHi: number) {
    // Each zoom step costs a pass over the data; ten steps that cannot satisfy Wolfe mean we are
    // at the floor of floating-point precision, and more would only burn time.
    for (let j = 0; j < 10; j++) {
      let t = cubicMinimizer(tLo, fLo, sLo, tHi, fHi, sHi);
      const lo = Math.min(tLo, tHi);
      const hi = Math.max(tLo, tHi);
      const margin = 0.1 * (hi - lo);
      if (!Number.isFinite(t) || t < lo + margin || t > hi - margin) t = (tLo + tHi) / 2;
      if (hi - lo < 1e-16 * Math.max(1, hi)) return null;
      const p = evaluate(t);
      if (p.done) return p;
      if (!sufficientDecrease(t, p) || p.f > fLo) {
        tHi = t;
        fHi = p.f;
        sHi = p.slope;
      } else {
        if (Math.abs(p.slope) <= -c2 * slope0) return p;
        if (p.slope * (tHi - tLo) >= 0) {
          tHi = tLo;
          fHi = fLo;
          sHi = sLo;
        }
        tLo = t;
        fLo = p.f;
        sLo = p.slope;
      }
    }
    return fLo < f0 && tLo > 0 ? evaluate(tLo) : null;
  }
}

/** Minimizer of the cubic interpolating f and f' at a and b. */
function cubicMinimizer(a: number, fa: number, sa: number, b: number, fb: number, sb: number): number {
  const d1 = sa + sb - 3 * ((fa - fb) / (a - b));
  const disc = d1 * d1 - sa * sb;
  if (disc < 0) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * ((sb + d2 - d1) / (sb - sa + 2 * d2));
}
