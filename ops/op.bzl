"""tessera_op: turns an op folder into its libraries and test.

In ops/<name>/BUILD:

    load("//ops:op.bzl", "tessera_op")
    tessera_op(name = "relu")

expects <name>.cc (schema + CPU kernels) and <name>_test.cc (conformance
cases), and makes:
  :<name>        the op library, always linked so that its static
                 registrations survive the linker (Caffe's and TensorFlow's
                 most reported failure);
  :<name>_cases  its conformance cases, also always linked;
  :<name>_test   those cases run by the registry-driven harness on every
                 backend present.
Then add the name to OPS in ops/BUILD.
"""

def tessera_op(name, srcs = None, hdrs = [], deps = [], test_deps = []):
    native.cc_library(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
        hdrs = hdrs,
        alwayslink = 1,
        visibility = ["//visibility:public"],
        deps = ["//core"] + deps,
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
