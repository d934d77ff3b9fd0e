"""Writes pld_reference.csv: epsilons from Google's dp_accounting 0.6.0 PLDAccountant (defaults:
connect-the-dots, value_discretization_interval 1e-4) and RdpAccountant for random Poisson-subsampled
Gaussian histories.  Run: pip install dp-accounting==0.6.0; python3 make_pld_reference.py"""
import random
import dp_accounting
from dp_accounting.pld import pld_privacy_accountant as pld
from dp_accounting.rdp import rdp_privacy_accountant as rdp

random.seed(7)
rows = []
for case in range(12):
    segments = []
    for _ in range(random.choice([1, 1, 2])):
        q = random.choice([round(10 ** random.uniform(-2.5, -0.5), 4), 1.0 if case % 6 == 0 else 0.05])
        sigma = round(random.uniform(0.7, 4.0), 3)
        steps = random.choice([1, 10, 100, 1000, 5000]) if q < 1 else random.choice([1, 4, 16])
        segments.append((q, sigma, steps))
    delta = random.choice([1e-5, 1e-6, 1e-3])
    a, b = pld.PLDAccountant(), rdp.RdpAccountant()
    for q, sigma, steps in segments:
        e = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma))
        a.compose(e, steps)
        b.compose(e, steps)
    rows.append((";".join(f"{q}:{s}:{t}" for q, s, t in segments), delta, float(b.get_epsilon(delta)), float(a.get_epsilon(delta))))

with open("pld_reference.csv", "w") as f:
    f.write("segments,delta,eps_rdp,eps_pld\n")
    for seg, delta, e_rdp, e_pld in rows:
        f.write(f"{seg},{delta},{e_rdp!r},{e_pld!r}\n")
