#!/usr/bin/python3
"""PyTorch twin of one GAN training iteration (gan-protocol.md §1–§3): the conditional MNIST GAN
(--arch mnist) or the DCGAN on 3×64×64 images (--arch dcgan).

build/aafgan_bench_gan --torch runs this under /usr/bin/python3 (Debian's python3-torch) with
--serve and drives it over stdin, alternating turns with its own iterations; replies are the
lines that start with "BENCH_JSON ". It can also be run on its own:

    /usr/bin/python3 tools/bench_gan_torch.py --models default/default/default/default --threads 2

The code is written the way the reference PyTorch code base (and a PyTorch user) writes it:
plain nn.Modules, adaptive activations as elementwise torch expressions with nn.Parameter
tensors, autograd for every backward, the G forward of the D step computed with autograd on and
then detached, D's parameter gradients computed (and discarded) in the G step. Anything cleverer
would measure a PyTorch program nobody runs. benchmarking.md lists what must match.
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:  # the C++ tool reports this line and prints only its own column
    print("BENCH_JSON " + json.dumps({"error": f"PyTorch is not available under {sys.executable}: {e}"}))
    sys.exit(0)

NOISE, CLASSES, PIXELS = 100, 10, 784
DEVICE = "cpu"  # set from --device in main()


# ---------------------------------------------------------------------------------------------
# Adaptive activations (activations.md), one parameter per feature, broadcast over the batch.

class BHSA(nn.Module):
    """Symmetric bi-hyperbolic adaptive function; `unit` (0,1) for D's output, else sym (-1,1)."""

    def __init__(self, width, unit, lam=(0.5, 0.05), tau=None):
        super().__init__()
        tau = tau or ((0.7, 0.05) if unit else (0.25, 0.05))
        self.unit = unit
        self.l = nn.Parameter(torch.empty(width).normal_(*lam))
        self.t = nn.Parameter(torch.empty(width).normal_(*tau))

    def forward(self, x):
        return bhsa(x, self.l, self.t, self.unit)


def bhsa(x, l, t, unit):
    # The formula as activations.md states it and the reference implementation wrote it.
    if unit:
        return (0.25 * torch.sqrt((1 + 4 * l * x) ** 2 + 16 * t ** 2)
                - 0.25 * torch.sqrt((1 - 4 * l * x) ** 2 + 16 * t ** 2) + 0.5)
    return 0.5 * torch.sqrt((1 + 2 * l * x) ** 2 + 4 * t ** 2) - 0.5 * torch.sqrt((1 - 2 * l * x) ** 2 + 4 * t ** 2)


class MiDA(nn.Module):
    """Mish with its tanh gate replaced by BHSA sym: x · BHSA(softplus(x))."""

    def __init__(self, width):
        super().__init__()
        self.l = nn.Parameter(torch.empty(width).normal_(0.7, 0.01))
        self.t = nn.Parameter(torch.empty(width).normal_(0.25, 0.01))

    def forward(self, x):
        # F.softplus switches to x above 20 (beta 1), as activations.md asks.
        return x * bhsa(nn.functional.softplus(x), self.l, self.t, unit=False)


class SHReLU(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.t = nn.Parameter(torch.empty(width).normal_(0.0, 0.2))

    def forward(self, x):
        return 0.5 * (x + torch.sqrt(x ** 2 + self.t ** 2))


def hidden(name, width, relu=False):
    if name == "default":
        return nn.ReLU() if relu else nn.LeakyReLU(0.2)
    if name == "MiDA":
        return MiDA(width)
    if name == "Mish":
        return nn.Mish()
    if name == "SHReLU":
        return SHReLU(width)
    raise ValueError(f"hidden activation '{name}' has no PyTorch twin here (default, SHReLU, Mish, MiDA)")


def output(name, width, unit):
    if name == "default":
        return nn.Sigmoid() if unit else nn.Tanh()
    if name == "BHSA":
        return BHSA(width, unit)
    raise ValueError(f"output activation '{name}' has no PyTorch twin here (default, BHSA)")


# ---------------------------------------------------------------------------------------------
# The networks of gan-protocol.md §1 (nn.Linear's default init is the fan-in uniform one).

class Generator(nn.Module):
    def __init__(self, out_name, hidden_name):
        super().__init__()
        layers, width_in = [], NOISE + CLASSES
        for width in (256, 512, 1024):
            layers += [nn.Linear(width_in, width), hidden(hidden_name, width)]
            width_in = width
        layers += [nn.Linear(width_in, PIXELS), output(out_name, PIXELS, unit=False)]
        self.net = nn.Sequential(*layers)

    def forward(self, z, onehot):
        return self.net(torch.cat([z, onehot], 1))


class Discriminator(nn.Module):
    def __init__(self, out_name, hidden_name):
        super().__init__()
        layers, width_in = [], PIXELS + CLASSES
        for width in (1024, 512, 256):
            layers += [nn.Linear(width_in, width), hidden(hidden_name, width), nn.Dropout(0.3)]
            width_in = width
        layers += [nn.Linear(width_in, 1), output(out_name, 1, unit=True)]
        self.net = nn.Sequential(*layers)

    def forward(self, x, onehot):
        return self.net(torch.cat([x, onehot], 1))


def one_hot(labels):
    return nn.functional.one_hot(labels, CLASSES).float()


# ---------------------------------------------------------------------------------------------
# The DCGAN of gan-protocol.md §2, as PyTorch's DCGAN example builds it (weights_init included);
# adaptive activations take one parameter per channel and position ([C, H, W]).

def dcgan_weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class DcGenerator(nn.Module):
    def __init__(self, out_name, hidden_name):
        super().__init__()
        layers, c_in, side = [], NOISE, 1
        for i, c in enumerate((1024, 512, 256, 128)):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            side = 4 if i == 0 else side * 2
            layers += [nn.ConvTranspose2d(c_in, c, 4, stride, pad, bias=False), nn.BatchNorm2d(c),
                       hidden(hidden_name, (c, side, side), relu=True)]
            c_in = c
        layers += [nn.ConvTranspose2d(c_in, 3, 4, 2, 1, bias=False), output(out_name, (3, 64, 64), unit=False)]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, z, onehot=None):
        return self.net(z.view(-1, NOISE, 1, 1))


class DcDiscriminator(nn.Module):
    def __init__(self, out_name, hidden_name):
        super().__init__()
        layers, c_in, side = [], 3, 64
        for i, c in enumerate((128, 256, 512, 1024)):
            side //= 2
            layers += [nn.Conv2d(c_in, c, 4, 2, 1, bias=False)]
            if i > 0:
                layers += [nn.BatchNorm2d(c)]
            layers += [hidden(hidden_name, (c, side, side))]
            c_in = c
        layers += [nn.Conv2d(c_in, 1, 4, 1, 0, bias=False), nn.Flatten(), output(out_name, 1, unit=True)]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, x, onehot=None):
        return self.net(x)


# ---------------------------------------------------------------------------------------------
# One iteration (gan-protocol.md §3), as the reference training loop runs it.

class Iteration:
    def __init__(self, models, batch, arch="mnist"):
        gen, dis, gen_hidden, dis_hidden = models
        self.dcgan = arch == "dcgan"
        self.G = (DcGenerator if self.dcgan else Generator)(gen, gen_hidden)
        self.D = (DcDiscriminator if self.dcgan else Discriminator)(dis, dis_hidden)
        self.G.to(DEVICE).train()
        self.D.to(DEVICE).train()
        lr = 0.0002 if self.dcgan else 0.001
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
        self.bce = nn.BCELoss()
        self.real_target = torch.full((batch, 1), 0.9, device=DEVICE)
        self.fake_target = torch.zeros(batch, 1, device=DEVICE)
        self.n = batch

    def labels(self, labels):
        return None if self.dcgan else one_hot(labels)

    def random_labels(self, n):
        return None if self.dcgan else one_hot(torch.randint(0, CLASSES, (n,), device=DEVICE))

    def step(self, x, labels):
        n = self.n
        # D step
        self.D.zero_grad()
        p_real = self.D(x, self.labels(labels))
        loss_real = self.bce(p_real, self.real_target)
        fake_labels = self.random_labels(n)
        fake = self.G(torch.randn(n, NOISE, device=DEVICE), fake_labels)
        p_fake = self.D(fake.detach(), fake_labels)
        loss_fake = self.bce(p_fake, self.fake_target)
        d_loss = loss_real + loss_fake
        d_loss.backward()
        self.opt_d.step()
        d_acc = (((p_real > 0.5).float().sum() + (p_fake <= 0.5).float().sum()) / (2 * n)).item()
        # G step
        self.G.zero_grad()
        g_labels = self.random_labels(n)
        p = self.D(self.G(torch.randn(n, NOISE, device=DEVICE), g_labels), g_labels)
        g_loss = self.bce(p, self.real_target)
        g_loss.backward()
        self.opt_g.step()
        return d_loss.item(), g_loss.item(), d_acc


# ---------------------------------------------------------------------------------------------

def load_idx(path, header):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


def find(dir_, name):
    for candidate in (os.path.join(dir_, name), os.path.join(dir_, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"{dir_} holds neither {name} nor {name}.gz")


def load_batches(data_dir, batch, count):
    """`count` consecutive real batches of the t10k split, scaled x/255·2 − 1 (cycled by the caller)."""
    images = load_idx(find(data_dir, "t10k-images-idx3-ubyte"), 16).reshape(-1, PIXELS)
    labels = load_idx(find(data_dir, "t10k-labels-idx1-ubyte"), 8).astype(np.int64)
    count = min(count, len(labels) // batch)
    out = []
    for b in range(count):
        sl = slice(b * batch, (b + 1) * batch)
        x = torch.from_numpy(images[sl].astype(np.float32) / 255.0 * 2.0 - 1.0)
        out.append((x.to(DEVICE), torch.from_numpy(labels[sl].copy()).to(DEVICE)))
    return out


def blas_check(threads):
    """Which BLAS torch really calls: Debian's torch says BLAS_INFO=generic and goes through the
    libblas.so.3 alternative, so the loaded library and a timed 1024³ GEMM are the evidence."""
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                name = line.split()[-1]
                if "blas" in os.path.basename(name).lower():
                    libs.add(os.path.realpath(name))
    except OSError:
        pass
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(2):
        torch.mm(a, b)
    reps, t0 = 5, time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    gflops = 2 * 1024 ** 3 * reps / (time.perf_counter() - t0) / 1e9
    lib = ", ".join(sorted(libs)) or "unknown"
    reference = ("openblas" not in lib.lower() and "mkl" not in lib.lower()) or gflops < 15
    warning = ""
    if reference:
        warning = (f"PyTorch appears to use the reference BLAS ({lib}, {gflops:.1f} GFLOP/s at {threads} threads): "
                   "its times are ~30x too slow and the comparison is meaningless. Install libopenblas0-openmp "
                   "(see docs/benchmarking.md).")
    return {"blas": lib, "gemm_gflops": gflops, "reference_blas": reference, "warning": warning}


def emit(obj):
    print("BENCH_JSON " + json.dumps(obj), flush=True)


class Bench:
    """One model's twin, stepped on demand over the real batches (cycled)."""

    def __init__(self, spec, batch, batches, arch):
        parts = spec.split("/")
        if len(parts) != 4:
            raise ValueError(f"'{spec}' is not gen/dis/gen_hidden/dis_hidden")
        self.it = Iteration(parts, batch, arch)
        self.batches = batches
        self.next = 0
        self.last = None

    def run(self, n, skip):
        times, cpu = [], []
        for i in range(skip + n):
            x, y = self.batches[self.next % len(self.batches)]
            self.next += 1
            c0, t0 = time.process_time(), time.perf_counter()
            self.last = self.it.step(x, y)
            if DEVICE == "cuda":
                torch.cuda.synchronize()
            t1, c1 = time.perf_counter(), time.process_time()
            if i >= skip:
                times.append((t1 - t0) * 1e3)
                cpu.append((c1 - c0) * 1e3)
        return times, cpu


def serve(args, batches):
    """The protocol of build/aafgan_bench_gan --torch, one command per line on stdin:
    `build SPEC`, `run SPEC N SKIP` (SKIP untimed iterations, then N timed), `quit`."""
    benches = {}
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            if cmd[0] == "build":
                benches[cmd[1]] = Bench(cmd[1], args.batch_size, batches, args.arch)
                emit({"model": cmd[1], "built": True})
            elif cmd[0] == "run":
                b = benches[cmd[1]]
                times, cpu = b.run(int(cmd[2]), int(cmd[3]))
                emit({"model": cmd[1], "ms": times, "cpu_ms": cpu})
            else:
                emit({"error": f"unknown command '{cmd[0]}'"})
        except (ValueError, KeyError, IndexError) as e:
            emit({"model": cmd[1] if len(cmd) > 1 else "", "error": str(e)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="default/default/default/default,BHSA/BHSA/default/default,"
                                        "default/default/MiDA/MiDA",
                    help="comma list of gen/dis/gen_hidden/dis_hidden")
    ap.add_argument("--arch", choices=("mnist", "dcgan"), default="mnist")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--tf32", type=int, default=0, help="allow TF32 on the GPU (benchmarking.md: like for like)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--batches", type=int, default=0, help="real batches to cycle through (default warmup + iters)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist"))
    ap.add_argument("--serve", action="store_true", help="take commands on stdin (used by aafgan_bench_gan)")
    args = ap.parse_args()

    global DEVICE
    DEVICE = args.device
    if DEVICE == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = bool(args.tf32)
        torch.backends.cudnn.allow_tf32 = bool(args.tf32)
        torch.backends.cudnn.benchmark = True  # our side searches cuDNN algorithms too
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info = blas_check(args.threads)
    info.update({"torch": torch.__version__, "threads": torch.get_num_threads(),
                 "preload": os.environ.get("LD_PRELOAD", "")})
    emit(info)
    if info["warning"]:
        print("WARNING: " + info["warning"], file=sys.stderr, flush=True)

    if args.arch == "dcgan":  # random images: an iteration's time does not depend on the pixels
        batches = [(torch.rand(args.batch_size, 3, 64, 64, device=DEVICE) * 2 - 1, None) for _ in range(2)]
    else:
        batches = load_batches(args.data, args.batch_size, args.batches or args.warmup + args.iters)
    if args.serve:
        serve(args, batches)
        return
    for spec in [m for m in args.models.split(",") if m]:
        try:
            bench = Bench(spec, args.batch_size, batches, args.arch)
        except ValueError as e:
            emit({"model": spec, "error": str(e)})
            continue
        times, cpu = bench.run(args.iters, args.warmup)
        emit({"model": spec, "median_ms": statistics.median(times), "mean_ms": statistics.fmean(times),
              "cpu_ms": statistics.median(cpu), "iters": len(times),
              "d_loss": bench.last[0], "g_loss": bench.last[1]})


if __name__ == "__main__":
    main()
