"""cuda_objects: compiles .cu files with nvcc into objects for cc rules.

Bazel 4 has no CUDA rules of its own, and no download may bring rules_cuda,
so each .cu becomes a genrule running /usr/local/cuda/bin/nvcc. The objects
are position independent so that they link into both shared and static
builds. The .cu files see only the CUDA headers, the headers listed in
`hdrs` and //core/cuda:device_headers: device code stays free of Abseil and
protobuf, and the op's .cc (built by the host compiler) does the rest.
"""

NVCC = "/usr/local/cuda/bin/nvcc"

# H100 (sm_90) machine code, plus PTX so that newer GPUs can JIT it.
NVCC_FLAGS = " ".join([
    "-std=c++17",
    "-O3",
    "-Xcompiler=-fPIC",
    "-gencode=arch=compute_90,code=sm_90",
    "-gencode=arch=compute_90,code=compute_90",
    "-I.",
])

def cuda_objects(name, srcs, hdrs = []):
    """Declares `name`, a cc_library holding the objects of `srcs`."""
    objects = []
    for src in srcs:
        obj = src[:-len(".cu")] + ".cu.pic.o"
        native.genrule(
            name = name + "_" + src.replace("/", "_").replace(".", "_"),
            srcs = [src] + hdrs + ["//core/cuda:device_headers"],
            outs = [obj],
            cmd = "%s %s -c $(location %s) -o $@" % (NVCC, NVCC_FLAGS, src),
            message = "nvcc " + src,
        )
        objects.append(obj)
    native.cc_library(
        name = name,
        srcs = objects,
        deps = ["@local_cuda//:cuda"],
    )
