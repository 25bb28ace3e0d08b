"""tessera_op: turns an op folder into its libraries and test.

In ops/<name>/BUILD:

    load("//ops:op.bzl", "tessera_op")
    tessera_op(name = "relu")

expects <name>.cc (schema, CPU kernels, and inside `#if TESSERA_CUDA` the
registration of its GPU kernels), optionally <name>.cu (CUDA device code,
compiled by nvcc only with --config=cuda), and <name>_test.cc (conformance
cases), and makes:
  :<name>        the op library, always linked so that its static
                 registrations survive the linker (Caffe's and TensorFlow's
                 most reported failure);
  :<name>_cases  its conformance cases, also always linked;
  :<name>_test   those cases run by the registry-driven harness on every
                 backend present;
  :golden        the op's PyTorch golden data (golden/, from golden.py);
  :<name>_bench_cases  its //bench:op_benchmark cases (bench_cases.cc, see
                 ops/common/bench_case.h; empty for an op without the file).
Then add the name to OPS in ops/ops.bzl.
"""

load("//third_party/cuda:cuda.bzl", "cuda_objects")

def tessera_op(name, srcs = None, hdrs = [], deps = [], test_deps = [], cuda_srcs = None):
    cuda_srcs = cuda_srcs if cuda_srcs != None else native.glob([name + ".cu"])
    cuda_deps = ["//core/cuda"]
    if cuda_srcs:
        cuda_objects(
            name = name + "_cu",
            srcs = cuda_srcs,
            # The op's own headers (e.g. an elementwise functor) and the
            # shared device-side building blocks.
            hdrs = native.glob(["*.cuh", "*.h"]) + ["//ops/common:device_headers"],
        )
        cuda_deps.append(":" + name + "_cu")
    native.cc_library(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
        hdrs = hdrs if hdrs else native.glob(["*.h"]),
        # Highway re-includes a .cc once per SIMD target (foreach_target.h).
        textual_hdrs = srcs if srcs != None else [name + ".cc"],
        # -O2 (Bazel's opt) leaves plain elementwise loops such as relu's
        # x > 0 ? x : 0 scalar, with a branch per element; -O3 vectorizes
        # them, and -fno-trapping-math lets it turn a comparison into a
        # select (we never read floating-point exception flags; values are
        # unchanged). Measured with //bench:op_benchmark: relu forward
        # 2.7 -> 31 GB/s, leaky_relu 2.3 -> 37 GB/s (with a local slope).
        copts = [
            "-O3",
            "-fno-trapping-math",
        ],
        alwayslink = 1,
        visibility = ["//visibility:public"],
        # With --config=cuda the op also gets its GPU kernels: <name>.cu
        # (device code, nvcc) and the `#if TESSERA_CUDA` part of <name>.cc
        # that registers them for Device::kCuda.
        deps = ["//core", "//ops/common:elementwise"] + deps + select({
            "//third_party/cuda:enabled": cuda_deps,
            "//conditions:default": [],
        }),
    )
    # PyTorch golden data (ops/<name>/golden/, made from golden.py by
    # tools/golden/make_golden.py) for //ops/golden:golden_test.
    native.filegroup(
        name = "golden",
        srcs = native.glob(["golden/**"]),
        visibility = ["//visibility:public"],
    )
    # Benchmark cases (ops/common/bench_case.h), linked by //ops:all_bench_cases.
    native.cc_library(
        name = name + "_bench_cases",
        srcs = native.glob(["bench_cases.cc"]),
        alwayslink = 1,
        visibility = ["//visibility:public"],
        deps = [
            ":" + name,
            "//ops/common:bench_case",
        ],
    )
    native.cc_library(
        name = name + "_cases",
        testonly = 1,
        srcs = [name + "_test.cc"],
        alwayslink = 1,
        visibility = ["//visibility:public"],
        deps = [
            ":" + name,
            "//core:op_testing",
        ] + test_deps,
    )
    native.cc_test(
        name = name + "_test",
        args = ["--expected_ops=" + name],
        deps = [
            ":" + name + "_cases",
            "//core:conformance_main",
        ],
    )
