#!/usr/bin/python3
"""PyTorch counterparts of Tessera's benchmarks, on the same shapes.

    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/torch_bench.py [--quick] [--json out.json]

Runs with 2 threads (torch.set_num_threads(2)) and OMP_WAIT_POLICY=passive:
with the default (active) policy, OpenMP threads spin after each parallel
region and steal the core from whatever runs next. Debian's python3-torch
1.13 computes convolutions with oneDNN and matrix products with the system
BLAS (OpenBLAS once libopenblas-dev is installed).

A kernel's time is the median of 3 means over repeated calls (1 with --quick)
after one untimed call, as Google Benchmark does for the C++ side. Each whole-model train step runs in
a child process of its own, so that its peak RSS (ru_maxrss) is that model's
and not the largest of everything this script did.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

# Before torch loads libgomp, which reads it once.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

THREADS = 2

# Same table as bench/gemm_shapes.h: name, trans_a, trans_b, m, n, k.
GEMM_SHAPES = [
    ("square_2048", False, False, 2048, 2048, 2048),
    ("fc6_fwd_64x4096x9216", False, True, 64, 4096, 9216),
    ("fc6_dx_64x9216x4096", False, False, 64, 9216, 4096),
    ("fc6_dw_4096x9216x64", True, False, 4096, 9216, 64),
    ("fc7_fwd_64x4096x4096", False, True, 64, 4096, 4096),
]


REPETITIONS = 3  # as side_by_side.sh passes --benchmark_repetitions=3 to the C++ side


def mean_seconds(fn, min_time):
    """Median over REPETITIONS of the mean time of fn() over at least
    min_time seconds, after one untimed call: Google Benchmark's method."""
    fn()
    means = []
    for _ in range(REPETITIONS):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                means.append(elapsed / calls)
                break
    return sorted(means)[len(means) // 2]


def uniform(*shape):
    return torch.rand(*shape) * 2 - 1


def bench_gemm(results, min_time):
    for name, ta, tb, m, n, k in GEMM_SHAPES:
        # Stored as Tessera stores them; .t() is a view, so BLAS gets the
        # transpose flag rather than a copy.
        a = uniform(k, m).t() if ta else uniform(m, k)
        b = uniform(n, k).t() if tb else uniform(k, n)
        c = torch.empty(m, n)
        s = mean_seconds(lambda: torch.mm(a, b, out=c), min_time)
        results[f"gemm/{name}"] = 2.0 * m * n * k / s


def time_layer(make, grad_of, min_time):
    """Seconds per forward (no autograd) and per backward (autograd.grad of
    the inputs in grad_of) of the layer make() returns as (inputs, fn)."""
    inputs, fn = make()
    with torch.no_grad():
        fwd = mean_seconds(lambda: fn(*inputs), min_time)
    y = fn(*inputs)
    dy = uniform(*y.shape)
    wanted = [inputs[i] for i in grad_of]
    bwd = mean_seconds(lambda: torch.autograd.grad(y, wanted, dy, retain_graph=True), min_time)
    return inputs, y, wanted, fwd, bwd


def bench_layer(results, name, make, min_time, flops=None, grad_of=None):
    """Forward and backward (autograd.grad of the inputs in grad_of) of one layer.

    flops: FLOPs of the forward (rate reported as FLOPS); None: report ms.
    The backward computes a gradient per wanted input, each costing as many
    FLOPs as the forward (the bias gradient, a sum, is ignored)."""
    inputs, _, _, fwd, bwd = time_layer(make, grad_of, min_time)
    if flops is None:
        results[f"{name}/fwd_ms"] = fwd * 1e3
        results[f"{name}/grad_ms"] = bwd * 1e3
    else:
        weight_grads = sum(1 for i in grad_of if i in (0, 1))
        results[f"{name}/fwd"] = flops / fwd
        results[f"{name}/grad"] = weight_grads * flops / bwd


def leaf(t):
    return t.requires_grad_(True)


def bench_layers(results, min_time):
    act = (16, 64, 56, 56)

    def conv3x3():
        x, w, b = leaf(uniform(*act)), leaf(uniform(64, 64, 3, 3)), leaf(uniform(64))
        return (x, w, b), lambda x, w, b: F.conv2d(x, w, b, padding=1)

    bench_layer(results, "conv2d/3x3_16x64x56x56_to64_pad1", conv3x3, min_time,
                flops=2.0 * 16 * 64 * 56 * 56 * 64 * 9, grad_of=[0, 1, 2])

    def conv1():
        # The image is a constant: a first layer needs no input gradient.
        x, w, b = uniform(16, 3, 224, 224), leaf(uniform(64, 3, 11, 11)), leaf(uniform(64))
        return (x, w, b), lambda x, w, b: F.conv2d(x, w, b, stride=4, padding=2)

    bench_layer(results, "conv2d/alexnet_conv1_11x11s4_16x3x224x224_to64_pad2", conv1, min_time,
                flops=2.0 * 16 * 64 * 55 * 55 * 3 * 121, grad_of=[1, 2])

    def conv2():
        x, w, b = leaf(uniform(16, 96, 27, 27)), leaf(uniform(256, 48, 5, 5)), leaf(uniform(256))
        return (x, w, b), lambda x, w, b: F.conv2d(x, w, b, padding=2, groups=2)

    bench_layer(results, "conv2d/alexnet_conv2_5x5g2_16x96x27x27_to256_pad2", conv2, min_time,
                flops=2.0 * 16 * 256 * 27 * 27 * 48 * 25, grad_of=[0, 1, 2])

    def deconv():
        x, w, b = leaf(uniform(16, 64, 14, 14)), leaf(uniform(64, 32, 4, 4)), leaf(uniform(32))
        return (x, w, b), lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1)

    bench_layer(results, "conv_transpose2d/4x4s2p1_16x64x14x14_to32", deconv, min_time,
                flops=2.0 * 16 * 64 * 14 * 14 * 32 * 16, grad_of=[0, 1, 2])

    def maxpool():
        x = leaf(uniform(*act))
        return (x,), lambda x: F.max_pool2d(x, 3, 2)

    bench_layer(results, "maxpool2d/3s2_16x64x56x56", maxpool, min_time, grad_of=[0])

    # Memory-bound: the output is preallocated (out=), as Tessera's benchmark
    # does, so both time the kernel rather than page faults of a fresh 51 MB.
    x, y, z = uniform(*act), uniform(*act), torch.empty(*act)
    n_bytes = 4.0 * x.numel()
    results["relu/16x64x56x56/fwd"] = 2 * n_bytes / mean_seconds(
        lambda: torch.clamp(x, min=0.0, out=z), min_time)
    results["add/16x64x56x56/fwd"] = 3 * n_bytes / mean_seconds(
        lambda: torch.add(x, y, out=z), min_time)


def bench_bytes(results, name, make, min_time, grad_of=(0,), grad_reads=1):
    """A memory-bound layer's forward and backward, as bytes per second
    counted as op_benchmark counts them (bench/op_benchmark.cc): forward,
    every input and output once; backward, the output gradient, each wanted
    input gradient and grad_reads tensors the size of input 0."""
    inputs, y, wanted, fwd, bwd = time_layer(make, grad_of, min_time)
    fwd_bytes = 4.0 * (sum(t.numel() for t in inputs) + y.numel())
    grad_bytes = 4.0 * (y.numel() + sum(t.numel() for t in wanted) + grad_reads * inputs[0].numel())
    results[f"{name}/fwd"] = fwd_bytes / fwd
    results[f"{name}/grad"] = grad_bytes / bwd


def bench_memory_bound(results, min_time):
    """The memory-bound kernels of issue #11, named as op_benchmark's cases."""
    act = (16, 64, 56, 56)
    one = lambda shape, fn: lambda: ((leaf(uniform(*shape)),), fn)  # noqa: E731
    bench_bytes(results, "avgpool2d/3s2_16x64x56x56", one(act, lambda x: F.avg_pool2d(x, 3, 2)),
                min_time, grad_reads=0)
    bench_bytes(results, "avgpool2d/global_16x512x7x7",
                one((16, 512, 7, 7), lambda x: F.adaptive_avg_pool2d(x, 1)), min_time, grad_reads=0)
    bench_bytes(results, "adaptive_avgpool2d/16x256x13x13_to_6x6",
                one((16, 256, 13, 13), lambda x: F.adaptive_avg_pool2d(x, (6, 6))), min_time,
                grad_reads=0)
    lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    bench_bytes(results, "lrn/alexnet_norm1_16x96x55x55", one((16, 96, 55, 55), lrn), min_time)
    bench_bytes(results, "upsample2d/nearest_x2_16x64x28x28",
                one((16, 64, 28, 28), lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
                min_time, grad_reads=0)
    bench_bytes(results, "upsample2d/bilinear_x2_16x64x28x28",
                one((16, 64, 28, 28), lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                              align_corners=False)),
                min_time, grad_reads=0)
    bench_bytes(results, "bias_add/16x64x56x56",
                lambda: ((leaf(uniform(*act)), leaf(uniform(64))),
                         lambda x, b: x + b.view(1, -1, 1, 1)),
                min_time, grad_of=(0, 1), grad_reads=0)
    bn = nn.BatchNorm2d(64).train()
    bench_bytes(results, "batch_norm2d/16x64x56x56",
                lambda: ((leaf(uniform(*act)), bn.weight, bn.bias),
                         lambda x, g, b: F.batch_norm(x, bn.running_mean, bn.running_var, g, b,
                                                      training=True)),
                min_time, grad_of=(0, 1, 2))
    bench_bytes(results, "l2_loss/16x64x56x56",
                lambda: ((leaf(uniform(*act)), leaf(uniform(*act))),
                         lambda y, t: (0.5 * ((y - t) ** 2).sum() / act[0]).reshape(1)),
                min_time, grad_of=(0, 1), grad_reads=2)
    bench_bytes(results, "softmax_cross_entropy/64x1000",
                lambda: ((leaf(uniform(64, 1000)), torch.randint(0, 1000, (64,))),
                         lambda x, t: F.cross_entropy(x, t).reshape(1)), min_time)
    bench_bytes(results, "concat/2x16x64x56x56_axis1",
                lambda: ((leaf(uniform(*act)), leaf(uniform(*act))),
                         lambda a, b: torch.cat([a, b], 1)), min_time, grad_of=(0, 1), grad_reads=0)
    bench_bytes(results, "pad2d/1_1_2_2_16x64x56x56", one(act, lambda x: F.pad(x, (1, 2, 1, 2))),
                min_time, grad_reads=0)
    bench_bytes(results, "transpose/nchw_to_nhwc_16x64x56x56",
                one(act, lambda x: x.permute(0, 2, 3, 1).contiguous()), min_time, grad_reads=0)
    bench_bytes(results, "resize2d/linear_16x64x28x28_to_45x45",
                one((16, 64, 28, 28), lambda x: F.interpolate(x, size=(45, 45), mode="bilinear",
                                                              align_corners=False)),
                min_time, grad_reads=0)
    bench_bytes(results, "dropout/16x64x56x56",
                one(act, lambda x: F.dropout(x, 0.5, training=True)), min_time)
    bench_bytes(results, "softmax/64x1000", one((64, 1000), lambda x: F.softmax(x, 1)), min_time)
    # grad_reads: what each Tessera gradient reads (the functor's kGradientUses).
    for name, fn, reads in (("relu", F.relu, 1), ("sigmoid", torch.sigmoid, 1),
                            ("tanh", torch.tanh, 1), ("elu", F.elu, 2),
                            ("leaky_relu", F.leaky_relu, 1)):
        bench_bytes(results, f"{name}/16x64x56x56", one(act, fn), min_time, grad_reads=reads)


def alexnet(channels, classes, adaptive):
    """models/alexnet.pbtxt (adaptive=False) and models/alexnet_fashion.pbtxt
    (adaptive=True), written as torchvision writes AlexNet (in-place ReLU)."""
    lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # noqa: E731
    features = [
        nn.Conv2d(channels, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    ]
    if adaptive:
        features.append(nn.AdaptiveAvgPool2d((6, 6)))
    return nn.Sequential(
        *features, nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, classes))


# name: (model factory, input shape per image, classes, batch)
MODELS = {
    "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)),
            (1, 28, 28), 10, 64),
    "alexnet_fashion_224": (lambda: alexnet(1, 10, True), (1, 224, 224), 10, 64),
    "alexnet_imagenet_227": (lambda: alexnet(3, 1000, False), (3, 227, 227), 1000, 16),
}


def model_step(name, warmup, steps, device="cpu"):
    """Train steps as models/trainer.cc runs them: SGD, momentum 0.9, weight decay 5e-4.
    On "cuda" (tools/gpu_check.sh), fp32 without TF32, as Tessera's GPU kernels."""
    factory, image, classes, batch = MODELS[name]
    torch.manual_seed(1)
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    model = factory().train().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(batch, *image, device=device)
    y = torch.randint(0, classes, (batch,), device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # the trainer reads the loss every step too

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    ms = (time.perf_counter() - start) / steps * 1e3
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result = {"ms_per_step": ms, "images_per_s": batch / (ms / 1e3), "peak_rss_mb": rss_mb,
              "batch": batch, "steps": steps, "warmup": warmup, "final_loss": loss,
              "device": device}
    if device == "cuda":
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
        result["gpu"] = torch.cuda.get_device_name()
    return result


def settings():
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", ""),
        "mkldnn": torch.backends.mkldnn.is_available(),
        # Debian's torch calls the system BLAS, chosen by update-alternatives.
        "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings, 1 step per large model")
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--model", help="only this model's train step (%s), JSON on stdout" % ", ".join(MODELS))
    parser.add_argument("--device", default="cpu", help="with --model: cpu or cuda")
    parser.add_argument("--steps", type=int, help="with --model: timed steps")
    parser.add_argument("--warmup", type=int, help="with --model: untimed steps first")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    quick = args.quick
    global REPETITIONS
    if quick:
        REPETITIONS = 1

    if args.model:
        warmup, steps = (20, 200) if args.model == "mlp" else (1, 2)
        if quick:
            warmup, steps = (5, 50) if args.model == "mlp" else (1, 1)
        warmup = args.warmup if args.warmup is not None else warmup
        steps = args.steps if args.steps is not None else steps
        print(json.dumps(model_step(args.model, warmup, steps, args.device)))
        return

    print("PyTorch settings: " + ", ".join(f"{k}={v}" for k, v in settings().items()), flush=True)
    min_time = 0.1 if quick else 0.5
    results = {}
    bench_gemm(results, min_time)
    # First: bench_layers' relu and add forward (out=, no allocation) replace
    # the allocating relu forward measured here.
    bench_memory_bound(results, min_time)
    bench_layers(results, min_time)
    for name in MODELS:
        cmd = [sys.executable, os.path.abspath(__file__), "--model", name] + (["--quick"] if quick else [])
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        for key, value in json.loads(out.strip().splitlines()[-1]).items():
            results[f"model/{name}/{key}"] = value
    for key, value in results.items():
        # Model results carry strings too (e.g. "device").
        shown = f"{value:.6g}" if isinstance(value, (int, float)) else str(value)
        print(f"{key:60s} {shown}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": settings(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
