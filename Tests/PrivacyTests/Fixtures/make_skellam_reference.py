"""Writes skellam_reference.csv: epsilons of random Poisson-subsampled Skellam histories, from a second,
independent implementation (Python, linear-space coefficients and scipy's weighted logsumexp, as
google-research/federated's distributed_dp/accounting_utils.py evaluates the same bounds) of
  - the Skellam RDP bound of Agarwal, Kairouz & Liu 2021, in quantised units with mu the variance
    of the noise in the sum:  a*l2^2/(2mu) + min(((2a-1)*l2^2 + 6*l1)/(4mu^2), 3*l1/(2mu));
  - Zhu & Wang 2019's general upper bound for Poisson subsampling (factor 3 on the l >= 3 terms),
    capped at the unsampled RDP;
over fedtop's order grid (fractional orders evaluated at ceil(order), orders in (1, 2] at 2) with the
conversion of Balle et al. 2020 as dp_accounting 0.6.0 computes it.
Run: python3 make_skellam_reference.py (numpy, scipy)."""
import math
import random

import numpy as np
from scipy import special

ORDERS = [1 + k / 10 for k in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]


def skellam(a, mu, l1, l2):
    return a * l2 ** 2 / (2 * mu) + min(((2 * a - 1) * l2 ** 2 + 6 * l1) / (4 * mu ** 2), 3 * l1 / (2 * mu))


def subsampled(a, q, eps):
    if q == 1:
        return eps(a)
    exponents = [0.0, eps(2)]
    weights = [(1 - q) ** (a - 1) * (a * q - q + 1), special.comb(a, 2, exact=False) * q ** 2 * (1 - q) ** (a - 2)]
    for l in range(3, a + 1):
        log_c = special.gammaln(a + 1) - special.gammaln(l + 1) - special.gammaln(a - l + 1)
        exponents.append((l - 1) * eps(l) + log_c + (a - l) * math.log1p(-q) + l * math.log(q))
        weights.append(3.0)
    return min(special.logsumexp(exponents, b=weights) / (a - 1), eps(a))


def step_rdp(q, mu, l1, l2):
    cache = {}
    out = []
    for order in ORDERS:
        a = max(2, math.ceil(order))
        if a not in cache:
            cache[a] = subsampled(a, q, lambda x: skellam(x, mu, l1, l2))
        out.append(cache[a])
    return np.array(out)


def epsilon(rdp, delta):
    best, best_order = math.inf, ORDERS[0]
    for a, r in zip(ORDERS, rdp):
        if r < 0 or delta ** 2 + math.expm1(-r) > 0:
            eps = 0.0
        else:
            eps = r + math.log1p(-1 / a) - math.log(delta * a) / (a - 1)
        if eps < best:
            best, best_order = eps, a
    return max(0.0, best), best_order


random.seed(2027)
rows = []
for case in range(30):
    segments = []
    for _ in range(random.choice([1, 1, 2])):
        q = random.choice([1.0, round(10 ** random.uniform(-3, -0.5), 5)])
        l2 = round(10 ** random.uniform(0, 4), 3)
        l1 = round(l2 * 10 ** random.uniform(0, 2.5), 3)
        sigma = round(random.uniform(0.6, 5.0), 3)  # sqrt(mu) / l2
        mu = round((sigma * l2) ** 2, 3)
        steps = random.choice([1, 10, 100, 1000, 5000])
        segments.append((q, mu, l1, l2, steps))
    delta = random.choice([1e-5, 1e-6, 1e-8])
    rdp = sum(steps * step_rdp(q, mu, l1, l2) for q, mu, l1, l2, steps in segments)
    eps, order = epsilon(rdp, delta)
    rows.append((";".join(f"{q}:{mu}:{l1}:{l2}:{t}" for q, mu, l1, l2, t in segments), delta, eps, order))

with open("skellam_reference.csv", "w") as f:
    f.write("segments,delta,eps_rdp,order\n")
    for seg, delta, eps, order in rows:
        f.write(f"{seg},{delta},{float(eps)!r},{float(order)}\n")
