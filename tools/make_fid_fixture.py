#!/usr/bin/env python3
"""Writes the PyTorch fixtures of the FID code (tests/test_image_ops.cpp, tests/test_fid.cpp):

  tests/fixtures/image_ops_reference.json   F.interpolate (bilinear, align_corners=False),
                                            F.avg_pool2d, F.max_pool2d with padding and the
                                            global average pool: inputs, outputs, gradients (f64)
  tests/fixtures/fid_inception_w16.aafgan   pytorch-fid's FID Inception at 1/16 width with random
                                            weights (fixed seed), in the engine's checkpoint format
  tests/fixtures/fid_inception_reference.json  its inputs (uint8 pixel values / 255) and output
                                            features, computed in float64 from the float32 weights

Run with Debian's interpreter (python3-torch; no torchvision needed):
    /usr/bin/python3 tools/make_fid_fixture.py
The network definition and the checkpoint writer are tools/convert_fid_weights.py's.
"""
import json
import pathlib
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from convert_fid_weights import FIDInceptionV3, engine_tensors, metadata, randomize, write_checkpoint  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
DT = torch.float64
torch.manual_seed(20260407)


def t(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def rnd(*shape):
    return torch.rand(tuple(shape), dtype=DT) * 2 - 1


def with_grads(cases, name, fn, x, extra):
    leaf = x.clone().requires_grad_(True)
    y = fn(leaf)
    proj = rnd(*y.shape)
    (y * proj).sum().backward()
    case = {"inputs": {"x": t(x)}, "output": t(y), "proj": t(proj), "grads": {"x": t(leaf.grad)}}
    case.update(extra)
    cases[name] = case


def image_ops():
    cases = {}
    for name, shape, size in [("interpolate_up", (2, 2, 5, 7), (11, 9)),
                              ("interpolate_down", (1, 2, 13, 11), (4, 5)),
                              ("interpolate_mixed", (1, 1, 6, 9), (14, 4)),
                              ("interpolate_same", (1, 2, 4, 3), (4, 3)),
                              # 299 rows: every tap of pytorch-fid's upscale; a narrow width keeps the file small
                              ("interpolate_to_299", (1, 1, 8, 6), (299, 7))]:
        x = rnd(*shape)
        with_grads(cases, name, lambda v, s=size: F.interpolate(v, size=s, mode="bilinear", align_corners=False), x,
                   {"size": list(size)})
    for name, shape, k, s, p, cip in [("avg_pool_k3s1p1_excl", (2, 2, 5, 6), 3, 1, 1, False),
                                      ("avg_pool_k3s1p1_incl", (1, 2, 5, 4), 3, 1, 1, True),
                                      ("avg_pool_k3s2p1_excl", (1, 2, 7, 6), 3, 2, 1, False),
                                      ("avg_pool_k2s2p0", (1, 1, 6, 5), 2, 2, 0, True),
                                      ("avg_pool_k4s3p2_excl", (1, 1, 7, 8), 4, 3, 2, False)]:
        with_grads(cases, name, lambda v, k=k, s=s, p=p, c=cip: F.avg_pool2d(v, k, s, p, count_include_pad=c),
                   rnd(*shape), {"kernel": k, "stride": s, "pad": p, "count_include_pad": cip})
    # Distinct values: no ties, so the argmax (and the gradient) is unambiguous.
    for name, shape, k, s, p in [("max_pool_k3s1p1", (2, 2, 5, 6), 3, 1, 1),
                                 ("max_pool_k3s2p1", (1, 2, 7, 6), 3, 2, 1),
                                 ("max_pool_k2s2p1", (1, 1, 5, 5), 2, 2, 1)]:
        n = 1
        for d in shape:
            n *= d
        x = (torch.randperm(n, dtype=DT) / n * 2 - 1).reshape(shape)
        with_grads(cases, name, lambda v, k=k, s=s, p=p: F.max_pool2d(v, k, s, p), x,
                   {"kernel": k, "stride": s, "pad": p})
    with_grads(cases, "global_avg_pool", lambda v: F.adaptive_avg_pool2d(v, 1), rnd(2, 3, 4, 5), {})
    out = FIXTURES / "image_ops_reference.json"
    out.write_text(json.dumps({"generator": "tools/make_fid_fixture.py", "torch": torch.__version__, "cases": cases}))
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(cases)} cases)")


def inception():
    divisor = 16
    model = randomize(FIDInceptionV3(divisor), seed=7)
    weights = FIXTURES / f"fid_inception_w{divisor}.aafgan"
    tensors = engine_tensors(model.state_dict())
    n = write_checkpoint(weights, tensors, metadata(divisor, "tools/make_fid_fixture.py random weights, seed 7"))
    print(f"wrote {weights} ({n} bytes, {len(tensors)} tensors)")

    # The reference runs in float64 on the float32 weights exactly as stored.
    model = model.double().eval()
    cases = []
    g = torch.Generator().manual_seed(11)
    for name, shape, resize in [("two_64x64_at_299", (2, 3, 64, 64), 299),  # the DCGAN's samples, the real path
                                ("one_90x70_at_75", (1, 3, 90, 70), 75)]:  # non-square input, smallest size
        pixels = torch.randint(0, 256, shape, generator=g)
        model.resize = resize
        with torch.no_grad():
            feats = model(pixels.to(DT) / 255)
        cases.append({"name": name, "resize": resize, "shape": list(shape), "pixels": pixels.reshape(-1).tolist(),
                      "features": t(feats)})
        print(f"  {name}: features {list(feats.shape)}, mean {feats.mean():.4f}, max {feats.max():.4f}")
    out = FIXTURES / "fid_inception_reference.json"
    out.write_text(json.dumps({"generator": "tools/make_fid_fixture.py", "torch": torch.__version__,
                               "weights": weights.name, "width_divisor": divisor, "cases": cases}))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    image_ops()
    inception()
