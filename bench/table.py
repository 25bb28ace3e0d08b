#!/usr/bin/python3
"""Prints the side-by-side table from the files bench/side_by_side.sh wrote.

    bench/table.py RESULTS_DIR [RESULTS_DIR...]

With several directories (rounds), every number is the best over them:
the highest rate, the lowest time or memory. Each RESULTS_DIR holds Google Benchmark JSON from op_benchmark (tessera_ops.json),
tessera_sgemm and openblas_sgemm (*_sgemm.json), torch_bench.py's JSON
(torch.json), and model_step_benchmark's RESULT lines
(tessera_model_<name>.txt). Output is Markdown, pasted as is into
BENCHMARKS.md.
"""

import json
import os
import sys

# Targets of issues #6 and #11 (ratios to PyTorch for the convolutions and maxpool). kind: "min"/"max" absolute bound on Tessera's value;
# "peer_ratio" Tessera / the named peer at least `bound` (for a lower-is-
# better measure, peer / Tessera); None: no target, shown for context.
ROWS = [
    # (label, unit, higher_is_better, tessera key, openblas key, torch key, target)
    ("GEMM 2048x2048x2048", "GFLOP/s", True, "tgemm:square_2048", "blas:square_2048",
     "torch:gemm/square_2048", ("min", 150, ">= 150 GFLOP/s")),
    ("GEMM fc6 fwd 64x4096x9216 (x W^T)", "GFLOP/s", True, "tgemm:fc6_fwd_64x4096x9216",
     "blas:fc6_fwd_64x4096x9216", "torch:gemm/fc6_fwd_64x4096x9216",
     ("peer_ratio", 1.0, ">= 1.0x OpenBLAS", "openblas")),
    ("GEMM fc6 dX 64x9216x4096 (dY W)", "GFLOP/s", True, "tgemm:fc6_dx_64x9216x4096",
     "blas:fc6_dx_64x9216x4096", "torch:gemm/fc6_dx_64x9216x4096",
     ("peer_ratio", 1.0, ">= 1.0x OpenBLAS", "openblas")),
    ("GEMM fc6 dW 4096x9216x64 (dY^T X)", "GFLOP/s", True, "tgemm:fc6_dw_4096x9216x64",
     "blas:fc6_dw_4096x9216x64", "torch:gemm/fc6_dw_4096x9216x64",
     ("peer_ratio", 1.0, ">= 1.0x OpenBLAS", "openblas")),
    ("GEMM fc7 fwd 64x4096x4096 (x W^T)", "GFLOP/s", True, "tgemm:fc7_fwd_64x4096x4096",
     "blas:fc7_fwd_64x4096x4096", "torch:gemm/fc7_fwd_64x4096x4096",
     ("peer_ratio", 1.0, ">= 1.0x OpenBLAS", "openblas")),
    ("conv2d 3x3 16x64x56x56->64 pad 1, fwd", "GFLOP/s", True,
     "op:conv2d/3x3_16x64x56x56_to64_pad1/cpu/fwd", None,
     "torch:conv2d/3x3_16x64x56x56_to64_pad1/fwd", ("peer_ratio", 1.3, ">= 1.3x PyTorch", "torch")),
    ("conv2d 3x3 16x64x56x56->64 pad 1, bwd (dx, dW, db)", "GFLOP/s", True,
     "op:conv2d/3x3_16x64x56x56_to64_pad1/cpu/grad", None,
     "torch:conv2d/3x3_16x64x56x56_to64_pad1/grad", ("peer_ratio", 1.3, ">= 1.3x PyTorch", "torch")),
    ("conv2d AlexNet conv1 11x11/4 16x3x224x224->64, fwd", "GFLOP/s", True,
     "op:conv2d/alexnet_conv1_11x11s4_16x3x224x224_to64_pad2/cpu/fwd", None,
     "torch:conv2d/alexnet_conv1_11x11s4_16x3x224x224_to64_pad2/fwd",
     ("peer_ratio", 1.0, ">= 1.0x PyTorch", "torch")),
    ("conv2d AlexNet conv1 11x11/4, bwd (dW, db)", "GFLOP/s", True,
     "op:conv2d/alexnet_conv1_11x11s4_16x3x224x224_to64_pad2/cpu/grad", None,
     "torch:conv2d/alexnet_conv1_11x11s4_16x3x224x224_to64_pad2/grad",
     ("peer_ratio", 1.0, ">= 1.0x PyTorch", "torch")),
    ("conv2d AlexNet conv2 5x5 groups 2 16x96x27x27->256, fwd", "GFLOP/s", True,
     "op:conv2d/alexnet_conv2_5x5g2_16x96x27x27_to256_pad2/cpu/fwd", None,
     "torch:conv2d/alexnet_conv2_5x5g2_16x96x27x27_to256_pad2/fwd",
     ("peer_ratio", 1.0, ">= 1.0x PyTorch", "torch")),
    ("conv2d AlexNet conv2 5x5 groups 2, bwd (dx, dW, db)", "GFLOP/s", True,
     "op:conv2d/alexnet_conv2_5x5g2_16x96x27x27_to256_pad2/cpu/grad", None,
     "torch:conv2d/alexnet_conv2_5x5g2_16x96x27x27_to256_pad2/grad",
     ("peer_ratio", 1.0, ">= 1.0x PyTorch", "torch")),
    ("conv_transpose2d 4x4/2 pad 1 16x64x14x14->32, fwd", "GFLOP/s", True,
     "op:conv_transpose2d/4x4s2p1_16x64x14x14_to32/cpu/fwd", None,
     "torch:conv_transpose2d/4x4s2p1_16x64x14x14_to32/fwd", ("min", 100, ">= 100 GFLOP/s")),
    ("conv_transpose2d 4x4/2, bwd (dx, dW, db)", "GFLOP/s", True,
     "op:conv_transpose2d/4x4s2p1_16x64x14x14_to32/cpu/grad", None,
     "torch:conv_transpose2d/4x4s2p1_16x64x14x14_to32/grad", None),
    ("maxpool2d 3/2 16x64x56x56, fwd", "ms", False, "opms:maxpool2d/3s2_16x64x56x56/cpu/fwd", None,
     "torch:maxpool2d/3s2_16x64x56x56/fwd_ms", ("peer_ratio", 0.25, "<= 1/4 of PyTorch's time", "torch")),
    ("maxpool2d 3/2 16x64x56x56, bwd", "ms", False, "opms:maxpool2d/3s2_16x64x56x56/cpu/grad", None,
     "torch:maxpool2d/3s2_16x64x56x56/grad_ms", None),
    ("relu 16x64x56x56, fwd (read x, write y)", "GB/s", True, "op:relu/16x64x56x56/cpu/fwd", None,
     "torch:relu/16x64x56x56/fwd", ("min", 0.9 * 23, "~23 GB/s (met at >= 90%)")),
    ("add 16x64x56x56, fwd (read x, y, write z)", "GB/s", True, "op:add/16x64x56x56/cpu/fwd", None,
     "torch:add/16x64x56x56/fwd", ("min", 0.9 * 23, "~23 GB/s (met at >= 90%)")),
    ("MLP 784-256-10 train step, batch 64", "us", False, "model:mlp:ms_per_step", None,
     "torch:model/mlp/ms_per_step", ("max", 600, "<= 600 us")),
    ("AlexNet-Fashion 1x224x224 train step, batch 64", "images/s", True,
     "model:alexnet_fashion_224:images_per_s", None, "torch:model/alexnet_fashion_224/images_per_s",
     ("peer_ratio", 1.5, ">= 1.5x PyTorch", "torch")),
    ("AlexNet ImageNet 3x227x227 train step, batch 16", "images/s", True,
     "model:alexnet_imagenet_227:images_per_s", None, "torch:model/alexnet_imagenet_227/images_per_s",
     ("peer_ratio", 1.5, ">= 1.5x PyTorch", "torch")),
    ("Peak RSS, AlexNet-Fashion 224 train, batch 64", "MB", False,
     "model:alexnet_fashion_224:peak_rss_mb", None, "torch:model/alexnet_fashion_224/peak_rss_mb",
     ("peer_ratio", 1.0, "<= PyTorch", "torch")),
    # Context for the row above: what a process holds with a tiny model.
    ("Peak RSS, MLP train, batch 64 (the process's floor)", "MB", False, "model:mlp:peak_rss_mb",
     None, "torch:model/mlp/peak_rss_mb", None),
]

SCALE = {"GFLOP/s": 1e-9, "GB/s": 1e-9}


def load(results_dir):
    values = {}

    def bench_json(path, prefix, strip):
        if not os.path.exists(path):
            return
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                # With --benchmark_repetitions, the median; without, the one run.
                if b.get("error_occurred") or b.get("aggregate_name", "median") != "median":
                    continue
                name = b["run_name"].replace("/real_time", "")
                if strip:
                    name = name.split("/", 1)[1]
                rate = b.get("FLOPS", b.get("bytes_per_second"))
                if b.get("label"):
                    values[f"{prefix}label:{name}"] = b["label"]
                if rate is not None:
                    values[f"{prefix}:{name}"] = rate
                assert b["time_unit"] == "ms"
                values[f"{prefix}ms:{name}"] = b["real_time"]

    bench_json(os.path.join(results_dir, "tessera_ops.json"), "op", False)
    bench_json(os.path.join(results_dir, "roofline.json"), "roof", False)
    bench_json(os.path.join(results_dir, "tessera_sgemm.json"), "tgemm", True)
    bench_json(os.path.join(results_dir, "openblas_sgemm.json"), "blas", True)
    torch_path = os.path.join(results_dir, "torch.json")
    if os.path.exists(torch_path):
        with open(torch_path) as f:
            for key, value in json.load(f)["results"].items():
                values[f"torch:{key}"] = value
    for name in os.listdir(results_dir):
        if name.startswith("tessera_model_") and name.endswith(".txt"):
            model = name[len("tessera_model_"):-len(".txt")]
            with open(os.path.join(results_dir, name)) as f:
                for line in f:
                    if line.startswith("RESULT "):
                        for field in line.split()[1:]:
                            key, _, value = field.partition("=")
                            try:
                                values[f"model:{model}:{key}"] = float(value)
                            except ValueError:
                                pass
    return values


def lower_is_better(key):
    return any(s in key for s in ("ms:", "ms_per_step", "_ms", "peak_rss"))


def load_best(dirs):
    best = {}
    for d in dirs:
        for key, value in load(d).items():
            if key not in best:
                best[key] = value
            elif lower_is_better(key):
                best[key] = min(best[key], value)
            else:
                best[key] = max(best[key], value)
    return best


def convert(value, unit, key):
    if value is None:
        return None
    if unit == "us" and "ms_per_step" in key:
        return value * 1e3
    return value * SCALE.get(unit, 1.0)


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def main():
    values = load_best(sys.argv[1:])
    print("| measure | unit | Tessera | OpenBLAS | PyTorch | ratio Tessera/best peer | target (issues #6, #11) | met |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for label, unit, higher, tkey, bkey, pkey, target in ROWS:
        t = convert(values.get(tkey), unit, tkey)
        peers = {"openblas": convert(values.get(bkey), unit, bkey) if bkey else None,
                 "torch": convert(values.get(pkey), unit, pkey) if pkey else None}
        present = [v for v in peers.values() if v is not None]
        best = (max(present) if higher else min(present)) if present else None
        ratio = t / best if t is not None and best else None
        met = "-"
        text = "-"
        if target is not None and t is not None:
            kind, bound, text = target[0], target[1], target[2]
            if kind == "min":
                ok = t >= bound
            elif kind == "max":
                ok = t <= bound
            else:
                peer = peers[target[3]]
                ok = peer is not None and (t / peer >= bound if higher else t / peer <= bound)
                if peer is not None:
                    text += f" (is {t / peer:.2f}x)"
            met = "yes" if ok else "**no**"
        elif target is not None:
            text = target[2]
        ratio_text = f"{ratio:.2f}" if ratio is not None else "-"
        print(f"| {label} | {unit} | {fmt(t)} | {fmt(peers['openblas'])} | {fmt(peers['torch'])} | "
              f"{ratio_text} | {text} | {met} |")
    print()
    print("Ratio: Tessera's value over the best peer's (higher is better for rates, lower for ms, us, MB).")

    # Every op's kernels, as op_benchmark measured them.
    ops = sorted({k.split(":", 1)[1].rsplit("/", 2)[0] for k in values if k.startswith("opms:")})
    fma, copy = values.get("roof:roofline/fma_peak"), values.get("roof:roofline/copy_bandwidth")
    if fma or copy:
        print()
        print(f"Roofline, same run: FMA peak {fmt(fma * 1e-9) if fma else '-'} GFLOP/s"
              f" ({values.get('rooflabel:roofline/fma_peak', 'SIMD target unknown')}),"
              f" copy bandwidth {fmt(copy * 1e-9) if copy else '-'} GB/s (read + write,"
              " 512 MiB buffers), both with the run's thread count (bench/roofline.cc).")
    if ops:
        print()
        print("| op / case (Tessera, CPU) | fwd ms | fwd rate | % of roof | x PyTorch "
              "| grad ms | grad rate | % of roof | x PyTorch |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for case in ops:
            row = [case]
            flops = case.split("/")[0] in ("conv2d", "conv_transpose2d", "matmul")
            unit, roof = ("GFLOP/s", fma) if flops else ("GB/s", copy)
            for pass_ in ("fwd", "grad"):
                key = f"{case}/cpu/{pass_}"
                ms = values.get(f"opms:{key}")
                rate = values.get(f"op:{key}")
                peer_rate = values.get(f"torch:{case}/{pass_}")
                peer_ms = values.get(f"torch:{case}/{pass_}_ms")
                vs = "-"
                if rate and peer_rate:
                    vs = f"{rate / peer_rate:.2f}"
                elif ms and peer_ms:
                    vs = f"{peer_ms / ms:.2f}"
                row += [f"{ms:.3f}" if ms is not None else "-",
                        f"{rate * 1e-9:.1f} {unit}" if rate is not None else "-",
                        f"{100 * rate / roof:.0f}%" if rate and roof else "-", vs]
            print("| " + " | ".join(row) + " |")
        print()
        print("% of roof: of the FMA peak for GFLOP/s, of the copy bandwidth for GB/s (bytes as"
              " op_benchmark counts them: the least traffic any implementation needs)."
              " x PyTorch: Tessera's rate over PyTorch's on the same case (bench/torch_bench.py).")

if __name__ == "__main__":
    main()
