"""Writes rdp_reference.csv: epsilons from Google's dp_accounting 0.6.0 RdpAccountant (default orders)
for random Poisson-subsampled Gaussian histories, to test fedtop's RDP accountant beyond the eight
rows of shared/data/dp_epsilon_reference.csv.  Run: pip install dp-accounting==0.6.0; python3 make_rdp_reference.py"""
import random
import dp_accounting
from dp_accounting.rdp import rdp_privacy_accountant as rdp

random.seed(2026)
rows = []
for case in range(40):
    segments = []
    for _ in range(random.choice([1, 1, 2, 3])):
        q = random.choice([1.0, round(10 ** random.uniform(-3.5, -0.3), 5)])
        sigma = round(random.uniform(0.5, 6.0), 3)
        steps = random.choice([1, 10, 100, 1000, 10000, 50000])
        segments.append((q, sigma, steps))
    delta = random.choice([1e-5, 1e-6, 1e-8, 1e-3])
    acc = rdp.RdpAccountant()
    for q, sigma, steps in segments:
        acc.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
    eps, order = acc.get_epsilon_and_optimal_order(delta)
    rows.append((";".join(f"{q}:{s}:{t}" for q, s, t in segments), delta, eps, order))

with open("rdp_reference.csv", "w") as f:
    f.write("segments,delta,eps_rdp,order\n")
    for seg, delta, eps, order in rows:
        f.write(f"{seg},{delta},{float(eps)!r},{float(order)}\n")
