#!/usr/bin/env python3
"""Reference numbers for the champion/challenger statistics, from libraries outside this project.

Run once by hand (python3 with mpmath, numpy, scipy and scikit-learn; not in CI):

    python3 scripts/stats-reference.py > test/domain/model/stats-reference.json

The tests read the JSON it printed (committed); they do not run Python.
  normal:      Φ and its upper tail from mpmath at 50 digits (exact to a double), and scipy's values.
  delong:      datasets drawn here with numpy, their AUCs by sklearn.metrics.roc_auc_score, and
               DeLong's variances from the O(m·n) definition in numpy (no midranks), p by scipy.
  proportions: the two-proportion z-test by its formula with scipy.stats.norm (statsmodels, whose
               proportions_ztest is the usual reference, is not installed on this machine).
"""
import json
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st
import sklearn
from sklearn.metrics import roc_auc_score

mp.mp.dps = 50


def normal():
    zs = [-37, -10, -8, -5, -1.96, -1, -0.5, -0.3, 0, 0.1, 0.3, 0.6629, 0.7, 1, 1.5, 1.96, 2.5, 3, 4, 5, 5.6568, 6, 7, 8, 10, 15, 20, 26, 30, 37, 38]
    rows = []
    for z in zs:
        zm = mp.mpf(z)
        sf = mp.erfc(zm / mp.sqrt(2)) / 2
        cdf = mp.erfc(-zm / mp.sqrt(2)) / 2
        rows.append({'z': z, 'cdf': float(cdf), 'sf': float(sf), 'scipy_cdf': float(st.norm.cdf(z)), 'scipy_sf': float(st.norm.sf(z))})
    return {'z95': float(st.norm.ppf(0.975)), 'values': rows}


def delong_definition(a, b, y):
    pos, neg = y == 1, y == 0
    out = {'n': int(len(y)), 'positives': int(pos.sum()), 'negatives': int(neg.sum())}
    comps = []
    for s in (a, b):
        x, w = s[pos][:, None], s[neg][None, :]
        psi = (x > w) + 0.5 * (x == w)
        comps.append((psi.mean(axis=1), psi.mean(axis=0)))
    m, n = out['positives'], out['negatives']
    s10 = np.cov(np.vstack([comps[0][0], comps[1][0]]))
    s01 = np.cov(np.vstack([comps[0][1], comps[1][1]]))
    var = s10 / m + s01 / n
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    var_diff = var[0, 0] + var[1, 1] - 2 * var[0, 1]
    z = (auc_b - auc_a) / np.sqrt(var_diff)
    out.update(
        {
            'auc_a': float(auc_a),
            'auc_b': float(auc_b),
            'var_a': float(var[0, 0]),
            'var_b': float(var[1, 1]),
            'cov_ab': float(var[0, 1]),
            'var_diff': float(var_diff),
            'z': float(z),
            'p_value': float(2 * st.norm.sf(abs(z))),
        }
    )
    return out


def delong():
    rng = np.random.RandomState(20140901)
    cases = []
    # (rows, positive rate, decimals the scores are rounded to: None keeps them continuous)
    for n, rate, dec in [(40, 0.3, 1), (250, 0.1, None), (600, 0.05, 2), (1000, 0.5, None)]:
        y = (rng.rand(n) < rate).astype(int)
        y[0], y[1] = 1, 0
        base = rng.randn(n) + 0.8 * y
        a = base + rng.randn(n) * 0.8
        b = base + rng.randn(n) * 0.5 + 0.2 * y
        if dec is not None:
            a, b = np.round(a, dec), np.round(b, dec)
        case = {'name': f'n={n}, rate={rate}, rounded to {dec} decimals', 'y': y.tolist(), 'a': a.tolist(), 'b': b.tolist()}
        case['expected'] = delong_definition(a, b, y)
        cases.append(case)
    # The hand case of test/domain/model/delong.test.ts.
    hand = {'y': [1, 1, 1, 0, 0, 0, 0], 'a': [0.9, 0.6, 0.4, 0.6, 0.3, 0.2, 0.1], 'b': [0.8, 0.2, 0.7, 0.5, 0.2, 0.3, 0.1]}
    hand['expected'] = delong_definition(np.array(hand['a']), np.array(hand['b']), np.array(hand['y']))
    hand['name'] = 'hand case'
    cases.append(hand)
    return cases


def proportions():
    out = []
    for (nc, xc), (nt, xt) in [((2000, 100), (2000, 130)), ((1000, 52), (1100, 48)), ((12345, 617), (12001, 702)), ((50, 1), (60, 9)), ((100, 0), (100, 100))]:
        pc, pt = xc / nc, xt / nt
        pool = (xc + xt) / (nc + nt)
        se = np.sqrt(pool * (1 - pool) * (1 / nc + 1 / nt))
        z = (pt - pc) / se
        wald = np.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
        q = st.norm.ppf(0.975)
        out.append(
            {
                'control': {'n': nc, 'positives': xc},
                'treatment': {'n': nt, 'positives': xt},
                'diff': pt - pc,
                'z': float(z),
                'p_value': float(2 * st.norm.sf(abs(z))),
                'ci95': [float(pt - pc - q * wald), float(pt - pc + q * wald)],
            }
        )
    return out


json.dump(
    {
        'produced_by': 'python3 scripts/stats-reference.py',
        'versions': {'python': sys.version.split()[0], 'mpmath': mp.__version__, 'numpy': np.__version__, 'scipy': scipy.__version__, 'sklearn': sklearn.__version__},
        'normal': normal(),
        'delong': delong(),
        'proportions': proportions(),
    },
    sys.stdout,
    indent=1,
)
print()
