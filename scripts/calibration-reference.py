"""Reference values for test/domain/model/calibration.test.ts, computed independently of the TypeScript code.

Run once with python3 + numpy + scikit-learn + scipy (not needed in CI):
    python3 scripts/calibration-reference.py > test/domain/model/calibration-reference.json
It was run with scikit-learn 1.2.1, numpy 1.24.2, scipy 1.10.1.

- ECE: 10 equal-count bins over rows sorted by p (bin k = sorted positions floor(k*n/10)..floor((k+1)*n/10)-1),
  tied rows counted with their tie group's mean label; sum of (n_k/n)*|mean(y)_k - mean(p)_k|.
- slope, joint intercept: scikit-learn LogisticRegression(penalty=None, solver='newton-cg') of y on z = logit(p).
- intercept (calibration-in-the-large): root b of sum(y - sigmoid(z + b)) = 0 by scipy's brentq.
- log_loss: sklearn.metrics.log_loss; brier: sklearn.metrics.brier_score_loss.
"""
import json
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.preprocessing import StandardScaler


def ece(p, y, bins=10):
    n = len(p)
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order].astype(float)
    # tie groups: mean label per distinct p
    _, inverse = np.unique(ps, return_inverse=True)
    ys = (np.bincount(inverse, weights=ys) / np.bincount(inverse))[inverse]
    total = 0.0
    for k in range(bins):
        a, b = k * n // bins, (k + 1) * n // bins
        if b > a:
            total += (b - a) / n * abs(ys[a:b].mean() - ps[a:b].mean())
    return total


def checks(z, y):
    p = expit(z)
    lr = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-10, max_iter=1000).fit(z.reshape(-1, 1), y)
    citl = brentq(lambda b: np.sum(y - expit(z + b)), -20, 20, xtol=1e-14)
    return {
        "ece": ece(p, y),
        "slope": float(lr.coef_[0][0]),
        "joint_intercept": float(lr.intercept_[0]),
        "intercept": float(citl),
        "log_loss": float(log_loss(y, p)),
        "brier": float(brier_score_loss(y, p)),
    }


rng = np.random.default_rng(14)
cases = []
# A low-base-rate model that is over-confident (true log-odds = 0.7 z - 0.4): n = 1003 is not a multiple of 10.
z = rng.normal(-3.0, 1.3, 1003)
y = (rng.random(1003) < expit(0.7 * z - 0.4)).astype(int)
cases.append({"name": "over-confident, base rate ~6 %, n = 1003", "z": z.tolist(), "y": y.tolist(), **checks(z, y)})
# Ties: logits on a coarse grid, so bin edges fall inside runs of equal p.
z = np.round(rng.normal(-1.0, 1.0, 500) * 4) / 4
y = (rng.random(500) < expit(1.3 * z + 0.2)).astype(int)
cases.append({"name": "under-confident, ties (logits on a 0.25 grid), n = 500", "z": z.tolist(), "y": y.tolist(), **checks(z, y)})

# The seed: scikit-learn's own fit (C = 1, lbfgs, StandardScaler), its validation logits.
d = "../shared/data/seed-reference/"
tr = np.loadtxt(d + "train.csv", delimiter=",", skiprows=1)
va = np.loadtxt(d + "valid.csv", delimiter=",", skiprows=1)
s = StandardScaler().fit(tr[:, :7])
m = LogisticRegression(C=1.0).fit(s.transform(tr[:, :7]), tr[:, 7])
seed = checks(m.decision_function(s.transform(va[:, :7])), va[:, 7].astype(int))

print(json.dumps({"produced_by": "scripts/calibration-reference.py", "cases": cases, "seed_validation": seed}))
