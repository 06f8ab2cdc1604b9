#!/usr/bin/env python3
"""Writes tests/fixtures/activations_reference.json: every adaptive activation of
docs/activations.md evaluated by PyTorch (float64) on a fixed grid of x for a few parameter
sets, with autograd gradients w.r.t. x and every parameter.

The formulas are written here as literally as activations.md states them (plain square-root
differences, log(1 + exp(x)), BHANA through x* and E = BHAA(x*) with autograd flowing through
x* as well), NOT in the engine's stable quotient forms: this is an independent check of those
forms. Values are kept moderate (|x| <= 8, tau not tiny) so the naive forms are accurate in
float64.

Each parameter is a tensor the shape of x filled with one value, so autograd yields the
per-element dy/dp; the C++ test reproduces that with x [1, n] and per-feature parameters [n].

Run with Debian's interpreter (python3-torch): /usr/bin/python3 tools/make_activation_fixtures.py
"""
import json
import pathlib

import torch

DT = torch.float64
RANGES = {"unit": (4.0, 0.0, 1.0), "sym": (2.0, -1.0, 1.0)}  # k, lo, hi


def bhsa(x, lam, tau, rng):
    if rng == "sym":
        return 0.5 * torch.sqrt((1 + 2 * lam * x) ** 2 + 4 * tau ** 2) - 0.5 * torch.sqrt((1 - 2 * lam * x) ** 2 + 4 * tau ** 2)
    return 0.25 * torch.sqrt((1 + 4 * lam * x) ** 2 + 16 * tau ** 2) - 0.25 * torch.sqrt((1 - 4 * lam * x) ** 2 + 16 * tau ** 2) + 0.5


def bhaa(x, lam, tau1, tau2, rng):
    if rng == "sym":
        return 0.5 * torch.sqrt((1 + 2 * lam * x) ** 2 + 4 * tau1 ** 2) - 0.5 * torch.sqrt((1 - 2 * lam * x) ** 2 + 4 * tau2 ** 2)
    return 0.25 * torch.sqrt((1 + 4 * lam * x) ** 2 + 16 * tau1 ** 2) - 0.25 * torch.sqrt((1 - 4 * lam * x) ** 2 + 16 * tau2 ** 2) + 0.5


def bhata(x, lam, tau1, tau2, rng):
    _, lo, hi = RANGES[rng]
    return torch.clamp(bhaa(x, lam, tau1, tau2, rng), lo, hi)


def bhana(x, lam, tau1, tau2, rng):
    k, lo, hi = RANGES[rng]
    a1, a2 = torch.abs(tau1), torch.abs(tau2)
    # The fixture's parameter tensors are constant, so one element decides the case.
    if torch.abs(a1 - a2).flatten()[0] < 1e-6 * (a1 + a2).flatten()[0]:
        return bhaa(x, lam, tau1, tau2, rng)
    xs = (a1 + a2) / (k * lam * (a1 - a2))
    e = bhaa(xs, lam, tau1, tau2, rng)
    b = bhaa(x, lam, tau1, tau2, rng)
    if (a1 > a2).flatten()[0]:
        return lo + (hi - lo) * (b - lo) / (e - lo)
    return lo + (hi - lo) * (b - e) / (hi - e)


def dsilu(x, beta, rng):
    z = beta * x
    s = 1 / (1 + torch.exp(-z))
    d = s * (1 + z * (1 - s))
    if rng == "unit":
        return (d + 0.1) / 1.28
    return 2 * ((d + 0.1) / 1.28 - 0.5)


def softplus(x):
    return torch.log(1 + torch.exp(x))


def shrelu(x, tau, rng):
    return 0.5 * (x + torch.sqrt(x ** 2 + tau ** 2))


def mish(x, rng):
    return x * torch.tanh(softplus(x))


def mida(x, lam, tau, rng):
    return x * bhsa(softplus(x), lam, tau, "sym")


FUNCS = {"BHSA": bhsa, "BHAA": bhaa, "BHATA": bhata, "BHANA": bhana, "DSILU": dsilu,
         "SHReLU": shrelu, "Mish": mish, "MiDA": mida}
RANGED = {"BHSA", "BHAA", "BHATA", "BHANA", "DSILU"}

# Parameter sets: typical initial values, the other sign, and the asymmetric cases both ways.
PARAMS = {
    "BHSA": [[0.5, 0.25], [0.5, 0.7], [-0.8, 0.4], [1.3, -0.1]],
    "BHAA": [[0.5, 0.6, 0.2], [0.5, 0.2, 0.6], [-0.7, 0.25, 0.35], [0.9, -0.5, 0.3]],
    "BHATA": [[0.5, 0.6, 0.2], [0.5, 0.2, 0.6], [-0.7, 0.25, 0.35], [0.9, -0.5, 0.3]],
    "BHANA": [[0.5, 0.6, 0.2], [0.5, 0.2, 0.6], [-0.7, 0.25, 0.35], [0.9, -0.5, 0.3], [0.5, 0.3, 0.3],
              [0.6, 0.3, -0.3]],
    "DSILU": [[1.0], [0.58], [-1.7]],
    "SHReLU": [[0.2], [-0.7], [0.05]],
    "Mish": [[]],
    "MiDA": [[0.7, 0.25], [-0.4, 0.6], [1.5, 0.05]],
}

# A symmetric grid with 0 on it, plus off-grid points; BHATA's clamp kinks are avoided below.
X = sorted(set([round(-8 + 0.25 * i, 10) for i in range(65)] + [-3.3, -0.123, 0.0371, 1.7, 5.55]))


def case(name, rng, params):
    x = torch.tensor(X, dtype=DT, requires_grad=True)
    ps = [torch.full_like(x, v).detach().requires_grad_(True) for v in params]
    y = FUNCS[name](x, *ps, rng)
    y.sum().backward()
    return {"act": name, "range": rng, "params": params, "x": X, "y": y.detach().tolist(),
            "gx": x.grad.tolist(), "gparams": [p.grad.tolist() for p in ps]}


def near_clamp_kink(c):
    """True where BHATA's raw value is within 1e-6 of a bound (the gradient jumps there)."""
    k, lo, hi = RANGES[c["range"]]
    x = torch.tensor(c["x"], dtype=DT)
    raw = bhaa(x, *[torch.tensor(v, dtype=DT) for v in c["params"]], c["range"])
    return bool(((raw - hi).abs() < 1e-6).any() or ((raw - lo).abs() < 1e-6).any())


cases = []
for name, sets in PARAMS.items():
    for rng in (["unit", "sym"] if name in RANGED else ["sym"]):
        for params in sets:
            c = case(name, rng, params)
            assert not (name == "BHATA" and near_clamp_kink(c)), c
            cases.append(c)

out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "activations_reference.json"
out.write_text(json.dumps({"generator": "tools/make_activation_fixtures.py", "torch": torch.__version__,
                           "cases": cases}))
print(f"wrote {out} ({out.stat().st_size} bytes, {len(cases)} cases)")
