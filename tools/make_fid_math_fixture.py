#!/usr/bin/env python3
"""Writes tests/fixtures/fid_math_reference.json: the Fréchet distance, KID and Parzen-window
log-likelihood of small random feature sets computed with NumPy alone (no SciPy, no torch), the
way pytorch-fid, Bińkowski et al.'s KID code and Goodfellow et al.'s parzen_ll.py define them.

    /usr/bin/python3 tools/make_fid_math_fixture.py   (Debian's python3-numpy)

Fréchet: μ, Σ = mean, np.cov(rowvar=False); tr sqrt(Σ1Σ2) two ways: Σ sqrt(eigvalsh(√Σ1·Σ2·√Σ1))
with √Σ1 from eigh (the engine's method), and Σ sqrt(Re eigvals(Σ1Σ2)) (what scipy.linalg.sqrtm's
trace amounts to), which must agree. KID: the unbiased polynomial-kernel MMD² on stored index
subsets, mean and np.std (ddof 0). Parzen: log-mean-exp of −‖x − s‖²/(2σ²) minus d·log(σ√(2π)),
σ from np.logspace(−1, 0, 10) by the best mean validation LL, standard error std/√n.
"""
import json
import pathlib

import numpy as np

rng = np.random.default_rng(20260407)
out = {}


def m(a):
    return {"shape": list(a.shape), "data": np.asarray(a, dtype=np.float64).reshape(-1).tolist()}


# --- Fréchet ------------------------------------------------------------------------------------
d = 6
mix = rng.normal(size=(d, d))
x = rng.normal(size=(40, d)) @ mix + rng.normal(size=d)
y = (rng.normal(size=(50, d)) * np.linspace(0.5, 2.0, d)) @ mix.T + 0.3
mu1, mu2 = x.mean(0), y.mean(0)
s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
w, v = np.linalg.eigh(s1)
root1 = (v * np.sqrt(np.maximum(w, 0))) @ v.T
lam = np.linalg.eigvalsh(root1 @ s2 @ root1)
tr_sym = np.sqrt(np.maximum(lam, 0)).sum()
tr_gen = np.sqrt(np.maximum(np.linalg.eigvals(s1 @ s2).real, 0)).sum()
assert abs(tr_sym - tr_gen) < 1e-9 * tr_sym, (tr_sym, tr_gen)
fid = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sym
out["frechet"] = {"x": m(x), "y": m(y), "mu1": m(mu1), "sigma1": m(s1), "mu2": m(mu2), "sigma2": m(s2),
                  "trace_sqrt_product": tr_sym, "fid": fid}


# --- KID ----------------------------------------------------------------------------------------
def poly_mmd2_unbiased(a, b):
    dim = a.shape[1]
    kxx = (a @ a.T / dim + 1) ** 3
    kyy = (b @ b.T / dim + 1) ** 3
    kxy = (a @ b.T / dim + 1) ** 3
    p, q = len(a), len(b)
    return ((kxx.sum() - np.trace(kxx)) / (p * (p - 1)) + (kyy.sum() - np.trace(kyy)) / (q * (q - 1))
            - 2 * kxy.sum() / (p * q))


kd = 8
real = np.abs(rng.normal(size=(30, kd))) * 1.5
fake = np.abs(rng.normal(size=(25, kd))) * 1.2 + 0.1
size, count = 10, 5
real_sub = [sorted(rng.choice(len(real), size, replace=False).tolist()) for _ in range(count)]
fake_sub = [sorted(rng.choice(len(fake), size, replace=False).tolist()) for _ in range(count)]
mmds = np.array([poly_mmd2_unbiased(real[r], fake[f]) for r, f in zip(real_sub, fake_sub)])
out["kid"] = {"real": m(real), "fake": m(fake), "real_subsets": real_sub, "fake_subsets": fake_sub,
              "mmd2": mmds.tolist(), "mean": mmds.mean(), "std": mmds.std(),
              "mmd2_whole_sets": poly_mmd2_unbiased(real, fake)}


# --- Parzen -------------------------------------------------------------------------------------
def parzen_ll(samples, pts, sigma):
    a = (pts[:, None, :] - samples[None, :, :]) / sigma
    e = -0.5 * (a ** 2).sum(2)
    mx = e.max(1)
    lme = mx + np.log(np.exp(e - mx[:, None]).mean(1))
    return lme - samples.shape[1] * np.log(sigma * np.sqrt(2 * np.pi))


pd = 5
samples = rng.uniform(size=(20, pd))
valid = rng.uniform(size=(8, pd))
test = rng.uniform(size=(10, pd))
sigmas = np.logspace(-1, 0, 10)
val_means = [parzen_ll(samples, valid, s).mean() for s in sigmas]
best = int(np.argmax(val_means))
ll = parzen_ll(samples, test, sigmas[best])
out["parzen"] = {"samples": m(samples), "validation": m(valid), "test": m(test), "sigmas": sigmas.tolist(),
                 "validation_means": val_means, "sigma": sigmas[best], "mean": ll.mean(),
                 "std_error": ll.std() / np.sqrt(len(test)), "test_ll": ll.tolist()}

path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "fid_math_reference.json"
path.write_text(json.dumps({"generator": "tools/make_fid_math_fixture.py", "numpy": np.__version__, **out}))
print(f"wrote {path} ({path.stat().st_size} bytes); fid {fid:.6f}, kid {mmds.mean():.6f} ± {mmds.std():.6f}, "
      f"parzen σ {sigmas[best]:.4f} LL {ll.mean():.4f}")
