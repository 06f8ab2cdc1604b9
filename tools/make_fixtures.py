#!/usr/bin/env python3
"""Writes tests/fixtures/torch_reference.json: inputs, outputs and gradients of the engine's
layers computed once with PyTorch, so the C++ tests compare against PyTorch without needing it.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 tools/make_fixtures.py
Every case stores its inputs, so the values do not depend on matching PyTorch's RNG.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(20261127)
DT = torch.float64
cases = {}


def t(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def rnd(*shape, lo=-1.0, hi=1.0):
    return torch.rand(tuple(shape), dtype=DT) * (hi - lo) + lo


def with_grads(name, fn, inputs, extra=None):
    """Forward, then backward of sum(y * proj) for a fixed random projection."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    proj = rnd(*y.shape)
    (y * proj).sum().backward()
    case = {"inputs": {k: t(v) for k, v in inputs.items()}, "output": t(y), "proj": t(proj),
            "grads": {k: t(v.grad) for k, v in leaves.items()}}
    case.update(extra or {})
    cases[name] = case


with_grads("linear", lambda x, w, b: F.linear(x, w, b),
           {"x": rnd(4, 5), "w": rnd(3, 5), "b": rnd(3)})

for name, shape_x, shape_w, stride, pad, bias in [
        ("conv2d_k3s2p1", (2, 3, 7, 6), (4, 3, 3, 3), 2, 1, True),
        ("conv2d_k4s2p1_nobias", (2, 3, 8, 8), (5, 3, 4, 4), 2, 1, False),
        ("conv2d_k4s1p0_nobias", (3, 6, 4, 4), (1, 6, 4, 4), 1, 0, False)]:
    inputs = {"x": rnd(*shape_x), "w": rnd(*shape_w)}
    if bias:
        inputs["b"] = rnd(shape_w[0])
    with_grads(name, lambda x, w, b=None, s=stride, p=pad: F.conv2d(x, w, b, stride=s, padding=p), inputs,
               {"stride": stride, "pad": pad})

for name, shape_x, shape_w, stride, pad, opad, bias in [
        ("conv_transpose2d_k4s2p1", (2, 4, 3, 3), (4, 3, 4, 4), 2, 1, 0, True),
        ("conv_transpose2d_k4s1p0_nobias", (2, 5, 1, 1), (5, 3, 4, 4), 1, 0, 0, False),
        ("conv_transpose2d_k3s2p1_opad1", (1, 2, 3, 4), (2, 3, 3, 3), 2, 1, 1, True)]:
    inputs = {"x": rnd(*shape_x), "w": rnd(*shape_w)}
    if bias:
        inputs["b"] = rnd(shape_w[1])
    with_grads(name, lambda x, w, b=None, s=stride, p=pad, o=opad:
               F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=o), inputs,
               {"stride": stride, "pad": pad, "output_pad": opad})

# BatchNorm in training: output, gradients and the updated running statistics.
rm0, rv0 = rnd(3, lo=-0.5, hi=0.5), rnd(3, lo=0.5, hi=1.5)
rm, rv = rm0.clone(), rv0.clone()
with_grads("batch_norm_train", lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5),
           {"x": rnd(4, 3, 2, 3, lo=-2, hi=3), "w": rnd(3, lo=0.5, hi=1.5), "b": rnd(3)},
           {"running_mean_before": t(rm0), "running_var_before": t(rv0)})
# with_grads ran the forward once, so the running stats saw exactly one update.
cases["batch_norm_train"]["running_mean_after"] = t(rm)
cases["batch_norm_train"]["running_var_after"] = t(rv)
rm_e, rv_e = rnd(3, lo=-0.5, hi=0.5), rnd(3, lo=0.5, hi=1.5)
with_grads("batch_norm_eval", lambda x, w, b: F.batch_norm(x, rm_e, rv_e, w, b, training=False, eps=1e-5),
           {"x": rnd(2, 3, 3, 2), "w": rnd(3), "b": rnd(3)},
           {"running_mean": t(rm_e), "running_var": t(rv_e)})

# BCE with predictions at and near the clamped ends.
p = torch.tensor([[0.0], [1e-50], [0.3], [0.9], [1.0 - 1e-9], [0.5]], dtype=DT)
target = torch.tensor([[0.9], [0.0], [1.0], [0.0], [0.9], [0.5]], dtype=DT)
cases["bce"] = {"inputs": {"p": t(p), "target": t(target)}, "output": t(F.binary_cross_entropy(p, target))}
with_grads("bce_grad", lambda p, target: F.binary_cross_entropy(p, target),
           {"p": rnd(5, 1, lo=0.05, hi=0.95), "target": rnd(5, 1, lo=0, hi=1)})

with_grads("max_pool2d", lambda x: F.max_pool2d(x, 2), {"x": torch.randperm(2 * 3 * 5 * 4, dtype=DT).reshape(2, 3, 5, 4)})
labels = torch.tensor([2, 0, 4, 4])
with_grads("log_softmax_nll", lambda x: F.nll_loss(F.log_softmax(x, dim=1), labels), {"x": rnd(4, 5, lo=-3, hi=3)},
           {"labels": labels.tolist()})


def adam_trajectory(dtype):
    """10 Adam steps (lr 0.01, betas (0.5, 0.999)) on loss = sum(c * (p - a)^2) + sum(p^3) / 10."""
    p = rnd(6, lo=-1, hi=1).to(dtype).requires_grad_(True)
    a, c = rnd(6).to(dtype), rnd(6, lo=0.5, hi=2).to(dtype)
    p0 = p.detach().clone()
    opt = torch.optim.Adam([p], lr=0.01, betas=(0.5, 0.999), eps=1e-8)
    traj = []
    for _ in range(10):
        opt.zero_grad()
        loss = (c * (p - a) ** 2).sum() + (p ** 3).sum() / 10
        loss.backward()
        opt.step()
        traj.append(p.detach().reshape(-1).tolist())
    return {"p0": t(p0), "a": t(a), "c": t(c), "trajectory": traj}


cases["adam_f64"] = adam_trajectory(torch.float64)
cases["adam_f32"] = adam_trajectory(torch.float32)

out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_reference.json"
out.write_text(json.dumps({"generator": "tools/make_fixtures.py", "torch": torch.__version__, "cases": cases}))
print(f"wrote {out} ({out.stat().st_size} bytes, {len(cases)} cases)")
