#!/usr/bin/env python3
"""Converts pytorch-fid's Inception weights to an aafgan checkpoint for ./aafgan_fid and
./celeba_dcgan --fid-weights.

    /usr/bin/python3 tools/convert_fid_weights.py pt_inception-2015-12-05-6726825d.pth fid_inception.aafgan

The input is the plain state_dict pytorch-fid downloads from
https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
(the 2015-12-05 TensorFlow Inception ported to PyTorch). The classifier (fc.*), any auxiliary
head and BatchNorm's num_batches_tracked are dropped: the engine stops at the 2048-d pool. The
result is checked by loading it strictly into the FID Inception defined below, so a file of some
other network fails here rather than in C++.

    /usr/bin/python3 tools/convert_fid_weights.py --random SEED OUT [--width-divisor K]

writes a randomly initialised network of the same shapes instead (BatchNorm statistics
calibrated on random images so activations keep a sane scale): for timing and tests where the
real file is unavailable. Its features are NOT Inception features; FIDs with it mean nothing.

This module also holds the checkpoint writer and the PyTorch FID Inception (with a width
divisor), which tools/make_fid_fixture.py imports.
"""
import argparse
import json
import struct
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

# --- engine/checkpoint.h's format ---------------------------------------------------------------
#   "AAFGANCK" | u32 version | u32 reserved (0) | u64 total file length
#   u64 metadata length | metadata (JSON text)
#   u64 tensor count | per tensor: u32 name length | name | u8 dtype (0 f32, 1 f64) | u8 ndim |
#                                  i64 dims[ndim] | raw little-endian elements
#   u64 total file length | u32 CRC-32 (zlib) of every byte before it
MAGIC = b"AAFGANCK"
VERSION = 1


def checkpoint_bytes(tensors, metadata):
    """tensors: list of (name, torch.Tensor) in file order; float32 or float64 (others become float32)."""
    body = bytearray()
    meta = json.dumps(metadata, separators=(",", ":")).encode()
    body += struct.pack("<Q", len(meta)) + meta
    body += struct.pack("<Q", len(tensors))
    seen = set()
    for name, t in tensors:
        if not name or name in seen:
            raise ValueError(f"tensor name {name!r} is empty or repeated")
        seen.add(name)
        t = t.detach().cpu().contiguous()
        if t.dtype not in (torch.float32, torch.float64):
            t = t.to(torch.float32)
        raw = name.encode()
        body += struct.pack("<I", len(raw)) + raw
        body += struct.pack("<BB", 0 if t.dtype == torch.float32 else 1, t.dim())
        body += struct.pack(f"<{t.dim()}q", *t.shape)
        body += t.numpy().astype("<f4" if t.dtype == torch.float32 else "<f8").tobytes()
    total = len(MAGIC) + 4 + 4 + 8 + len(body) + 8 + 4
    head = MAGIC + struct.pack("<IIQ", VERSION, 0, total)
    data = head + bytes(body) + struct.pack("<Q", total)
    return data + struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


def write_checkpoint(path, tensors, metadata):
    data = checkpoint_bytes(tensors, metadata)
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    import os
    os.replace(tmp, path)
    return len(data)


# --- pytorch-fid's FID Inception (torchvision's Inception3 with the FID blocks) --------------------
class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class FIDInceptionA(nn.Module):
    def __init__(self, cin, pool_features, c):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, c(64), kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, c(48), kernel_size=1)
        self.branch5x5_2 = BasicConv2d(c(48), c(64), kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, c(64), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, c(pool_features), kernel_size=1)
        self.out = c(64) + c(64) + c(96) + c(pool_features)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        # FID: no padding in the average (count_include_pad=False), as TF.
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, c(384), kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, c(64), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), kernel_size=3, stride=2)
        self.out = c(384) + c(96) + cin

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionC(nn.Module):
    def __init__(self, cin, channels_7x7, c):
        super().__init__()
        c7 = c(channels_7x7)
        self.branch1x1 = BasicConv2d(cin, c(192), kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, c(192), kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, c(192), kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, c(192), kernel_size=1)
        self.out = 4 * c(192)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for m in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                  self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, c(192), kernel_size=1)
        self.branch3x3_2 = BasicConv2d(c(192), c(320), kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, c(192), kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(c(192), c(192), kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(c(192), c(192), kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(c(192), c(192), kernel_size=3, stride=2)
        self.out = c(320) + c(192) + cin

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionE(nn.Module):
    """FIDInceptionE_1 (max_pool=False: average without padding) or FIDInceptionE_2 (max pool)."""

    def __init__(self, cin, max_pool, c):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, c(320), kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, c(384), kernel_size=1)
        self.branch3x3_2a = BasicConv2d(c(384), c(384), kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(c(384), c(384), kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, c(448), kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(c(448), c(384), kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(c(384), c(384), kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(c(384), c(384), kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, c(192), kernel_size=1)
        self.out = c(320) + 4 * c(384) + c(192)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.max_pool:
            # pytorch-fid: "The FID Inception model uses max pooling instead of average pooling.
            # This is likely an error in this specific Inception implementation".
            bp = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            bp = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([b1, b3, bd, self.branch_pool(bp)], 1)


class FIDInceptionV3(nn.Module):
    """pytorch-fid's InceptionV3(output_blocks=[3]) with use_fid_inception=True, resize_input and
    normalize_input: [N, 3, H, W] in [0, 1] → [N, 2048 / width_divisor]. Parameter names equal the
    .pth's state_dict keys."""

    def __init__(self, width_divisor=1, resize=299):
        super().__init__()
        assert width_divisor in (1, 2, 4, 8, 16)
        self.resize = resize

        def c(n):
            return n // width_divisor

        self.Conv2d_1a_3x3 = BasicConv2d(3, c(32), kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(c(32), c(32), kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(c(32), c(64), kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(c(64), c(80), kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(c(80), c(192), kernel_size=3)
        self.Mixed_5b = FIDInceptionA(c(192), 32, c)
        self.Mixed_5c = FIDInceptionA(self.Mixed_5b.out, 64, c)
        self.Mixed_5d = FIDInceptionA(self.Mixed_5c.out, 64, c)
        self.Mixed_6a = InceptionB(self.Mixed_5d.out, c)
        self.Mixed_6b = FIDInceptionC(self.Mixed_6a.out, 128, c)
        self.Mixed_6c = FIDInceptionC(self.Mixed_6b.out, 160, c)
        self.Mixed_6d = FIDInceptionC(self.Mixed_6c.out, 160, c)
        self.Mixed_6e = FIDInceptionC(self.Mixed_6d.out, 192, c)
        self.Mixed_7a = InceptionD(self.Mixed_6e.out, c)
        self.Mixed_7b = FIDInceptionE(self.Mixed_7a.out, False, c)
        self.Mixed_7c = FIDInceptionE(self.Mixed_7b.out, True, c)
        self.features = self.Mixed_7c.out

    def forward(self, x):
        x = F.interpolate(x, size=(self.resize, self.resize), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c"):
            x = getattr(self, name)(x)
        return F.adaptive_avg_pool2d(x, output_size=(1, 1)).flatten(1)


def engine_tensors(state_dict):
    """The tensors the engine loads, in state_dict order: no classifier, no auxiliary head, no
    num_batches_tracked."""
    out = []
    for k, v in state_dict.items():
        if k.startswith("fc.") or k.startswith("AuxLogits.") or k.endswith("num_batches_tracked"):
            continue
        out.append((k, v.to(torch.float32)))
    return out


def randomize(model, seed, calibration_images=4):
    """Random weights with sane activation scales: He-normal convolutions, BatchNorm running
    statistics measured on random images (one cumulative pass), then random affine parameters."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative: the statistics of the calibration pass itself
    model.train()
    with torch.no_grad():
        model(torch.rand(calibration_images, 3, 96, 96, generator=g))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=g)
            m.bias.data = 0.4 * torch.rand(m.bias.shape, generator=g) - 0.1
    model.eval()
    return model


def metadata(width_divisor, source):
    return {"format": "aafgan-fid-inception", "width_divisor": width_divisor, "resize": 299,
            "features": 2048 // width_divisor, "source": source}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="IN.pth OUT, or OUT with --random")
    ap.add_argument("--random", type=int, metavar="SEED", help="write random weights instead of converting")
    ap.add_argument("--width-divisor", type=int, default=1, help="with --random: channel counts / K (1, 2, 4, 8, 16)")
    a = ap.parse_args()
    if a.random is not None:
        if len(a.inputs) != 1:
            ap.error("--random takes only OUT")
        out = a.inputs[0]
        torch.manual_seed(a.random)
        model = randomize(FIDInceptionV3(a.width_divisor), a.random)
        tensors = engine_tensors(model.state_dict())
        meta = metadata(a.width_divisor, f"random weights, seed {a.random} (NOT Inception features)")
    else:
        if len(a.inputs) != 2:
            ap.error("expected IN.pth OUT")
        src, out = a.inputs
        sd = torch.load(src, map_location="cpu")
        if not isinstance(sd, dict):
            sys.exit(f"{src}: expected a state_dict (a dict of tensors), got {type(sd).__name__}")
        tensors = engine_tensors(sd)
        model = FIDInceptionV3()
        missing, unexpected = model.load_state_dict(dict(tensors), strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            sys.exit(f"{src} is not pytorch-fid's FID Inception: missing {missing[:5]}, unexpected {unexpected[:5]}")
        meta = metadata(1, src.split("/")[-1])
    n = write_checkpoint(out, tensors, meta)
    print(f"wrote {out}: {len(tensors)} tensors, {n} bytes")


if __name__ == "__main__":
    main()
