#!/usr/bin/python3
"""Generates the PyTorch golden files under ops/golden/testdata/.

Run from anywhere (paths are relative to this file):

    /usr/bin/python3 tools/golden/make_golden.py

Needs Debian's python3-torch and python3-numpy. The committed files were made
with torch 1.13.0a0 (Debian python3-torch) and numpy 1.24.2; the script
records the versions it ran with in the manifest header. It is deterministic:
running it again rewrites byte-identical files (the testdata directory is
deleted and recreated, so removed cases do not linger).

For every case of every op it
  * draws float32 inputs from a NumPy generator seeded by the case's name
    (crc32 of "<op>/<case>"), so cases are independent of each other and of
    their order;
  * runs the op in PyTorch in float64 on those exact float32 values, and
    rounds the outputs to float32;
  * draws a float32 output gradient for every output (uniform in [-1, 1]),
    back-propagates it in float64 and rounds the input gradients to float32.
It writes ops/golden/testdata/<op>/<case>/ in<i>.npy, out<k>.npy, dout<k>.npy
and din<i>.npy (for every differentiable input i, as Tessera's schema marks
them), and ops/golden/testdata/manifest.txt, which ops/golden/golden_test.cc
reads. Manifest format, one block per case, blocks separated by blank lines,
'#' starts a comment line:

    case <op> <case>            # the files are in <op>/<case>/
    training true|false
    inputs <n>                  # in0.npy .. in<n-1>.npy
    outputs <m>                 # out0.npy .. out<m-1>.npy, dout0.npy ..
    grad_inputs <i> <j> ...     # din<i>.npy exists for these (may be empty)
    attr <name> int <v>
    attr <name> float <v>       # written with repr(), exact for float32
    attr <name> bool true|false
    attr <name> string <v>
    attr <name> ints <v> ...    # possibly none: an empty list
    attr <name> floats <v> ...
    note <free text>            # what the case covers; ignored by the test

Conventions follow Tessera's ops, which follow PyTorch's: NCHW, conv2d
weights OIHW, conv_transpose2d weights IOHW, matmul weights [out, in]
(nn.Linear), softmax_cross_entropy labels as float class indices.
"""

import os
import shutil
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "ops", "golden", "testdata")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

# ---------------------------------------------------------------------------
# Case description helpers.


class Case:
    """One golden case: inputs (float32 numpy), attributes, a torch function.

    fn(inputs as float64 torch tensors, requires_grad where differentiable)
    returns the list of outputs (float64 torch tensors).
    """

    def __init__(self, op, name, inputs, diff, fn, attrs=(), training=True, note="",
                 dout=None):
        self.op = op
        self.name = name
        self.inputs = inputs
        self.diff = diff  # indices of differentiable inputs (Tessera's schema)
        self.fn = fn
        self.attrs = list(attrs)  # (name, type, value)
        self.training = training
        self.note = note
        self.dout = dout  # optional fn(rng, outputs) -> list of output grads


def rng_for(op, name):
    return np.random.default_rng(zlib.crc32(("%s/%s" % (op, name)).encode()))


def uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def spaced(rng, shape, gap=0.05):
    """Distinct values, at least `gap` apart, shuffled (no max-pool ties)."""
    n = int(np.prod(shape))
    v = (np.arange(n, dtype=np.float64) - n / 2) * gap
    v += rng.uniform(0, gap / 4, size=n)
    rng.shuffle(v)
    return v.reshape(shape).astype(np.float32)


def ints(name, *v):
    return (name, "ints", list(v))


def int_(name, v):
    return (name, "int", v)


def float_(name, v):
    assert float(np.float32(v)) == v, "float attr %s=%r is not exact in float32" % (name, v)
    return (name, "float", v)


def bool_(name, v):
    return (name, "bool", v)


def string(name, v):
    return (name, "string", v)


CASES = []


def case(*args, **kwargs):
    CASES.append(Case(*args, **kwargs))


# ---------------------------------------------------------------------------
# The cases. Shapes stay small (tens to a few hundred elements per tensor).


def elementwise_cases():
    for op, fn in [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        r = rng_for(op, "small")
        case(op, "small", [uniform(r, (2, 3, 4, 5), -3, 3)], [0], lambda t, fn=fn: [fn(t[0])],
             note="values in [-3, 3]")
        r = rng_for(op, "wide_2d")
        case(op, "wide_2d", [uniform(r, (4, 16), -40, 40)], [0], lambda t, fn=fn: [fn(t[0])],
             note="values in [-40, 40]: saturation, no overflow")

    r = rng_for("leaky_relu", "default_slope")
    case("leaky_relu", "default_slope", [uniform(r, (2, 3, 4, 4), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], 0.01)], note="negative_slope default 0.01")
    r = rng_for("leaky_relu", "slope_0_25")
    case("leaky_relu", "slope_0_25", [uniform(r, (5, 12), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], 0.25)], attrs=[float_("negative_slope", 0.25)])
    r = rng_for("leaky_relu", "slope_negative")
    case("leaky_relu", "slope_negative", [uniform(r, (3, 10), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], -0.5)], attrs=[float_("negative_slope", -0.5)])

    r = rng_for("add", "nchw")
    case("add", "nchw", [uniform(r, (2, 3, 4, 5)), uniform(r, (2, 3, 4, 5))], [0, 1],
         lambda t: [t[0] + t[1]])
    r = rng_for("add", "matrix")
    case("add", "matrix", [uniform(r, (6, 7)), uniform(r, (6, 7))], [0, 1],
         lambda t: [t[0] + t[1]])

    r = rng_for("mul", "nchw")
    case("mul", "nchw", [uniform(r, (2, 3, 4, 5)), uniform(r, (2, 3, 4, 5))], [0, 1],
         lambda t: [t[0] * t[1]])
    r = rng_for("mul", "matrix")
    case("mul", "matrix", [uniform(r, (6, 7)), uniform(r, (6, 7))], [0, 1],
         lambda t: [t[0] * t[1]])

    r = rng_for("bias_add", "nchw")
    case("bias_add", "nchw", [uniform(r, (2, 4, 3, 5)), uniform(r, (4,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1, 1, 1)])
    r = rng_for("bias_add", "matrix")
    case("bias_add", "matrix", [uniform(r, (5, 7)), uniform(r, (7,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1)])
    r = rng_for("bias_add", "rank3")
    case("bias_add", "rank3", [uniform(r, (2, 3, 6)), uniform(r, (3,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1, 1)])


def dropout_cases():
    # Training with rate > 0 draws Tessera's own mask (splitmix64), which
    # PyTorch cannot reproduce: only the deterministic modes are compared.
    r = rng_for("dropout", "eval")
    case("dropout", "eval", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [F.dropout(t[0], p=0.5, training=False)], attrs=[float_("rate", 0.5)],
         training=False, note="evaluation: the identity")
    r = rng_for("dropout", "train_rate0")
    case("dropout", "train_rate0", [uniform(r, (4, 9))], [0],
         lambda t: [F.dropout(t[0], p=0.0, training=True)], attrs=[float_("rate", 0.0)],
         training=True, note="training with rate 0: every element kept, scale 1")


def shape_cases():
    r = rng_for("flatten", "nchw_axis1")
    case("flatten", "nchw_axis1", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [torch.flatten(t[0], 1)])
    r = rng_for("flatten", "axis2")
    case("flatten", "axis2", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [torch.flatten(t[0], 2)], attrs=[int_("axis", 2)])
    r = rng_for("flatten", "axis_last")
    case("flatten", "axis_last", [uniform(r, (3, 4, 2))], [0],
         lambda t: [t[0].reshape(3, 4, 2, 1)], attrs=[int_("axis", 3)],
         note="axis = rank: appends a dimension of 1")

    r = rng_for("reshape", "keep_batch_infer")
    case("reshape", "keep_batch_infer", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [t[0].reshape(2, -1)], attrs=[ints("shape", 0, -1)],
         note="0 copies the batch, -1 inferred")
    r = rng_for("reshape", "explicit")
    case("reshape", "explicit", [uniform(r, (4, 6))], [0],
         lambda t: [t[0].reshape(2, 3, 4)], attrs=[ints("shape", 2, 3, 4)])
    r = rng_for("reshape", "infer_middle")
    case("reshape", "infer_middle", [uniform(r, (3, 8, 2))], [0],
         lambda t: [t[0].reshape(3, -1, 4)], attrs=[ints("shape", 0, -1, 4)])

    r = rng_for("concat", "two_channels")
    case("concat", "two_channels", [uniform(r, (2, 3, 4, 4)), uniform(r, (2, 2, 4, 4))], [0, 1],
         lambda t: [torch.cat(t, 1)], note="default axis 1")
    r = rng_for("concat", "three_axis0")
    case("concat", "three_axis0",
         [uniform(r, (2, 5)), uniform(r, (1, 5)), uniform(r, (3, 5))], [0, 1, 2],
         lambda t: [torch.cat(t, 0)], attrs=[int_("axis", 0)])
    r = rng_for("concat", "four_axis_neg1")
    case("concat", "four_axis_neg1",
         [uniform(r, (2, 3, 2)), uniform(r, (2, 3, 1)), uniform(r, (2, 3, 4)), uniform(r, (2, 3, 3))],
         [0, 1, 2, 3], lambda t: [torch.cat(t, -1)], attrs=[int_("axis", -1)])


def dense_cases():
    r = rng_for("matmul", "with_bias")
    case("matmul", "with_bias", [uniform(r, (4, 10)), uniform(r, (6, 10)), uniform(r, (6,))],
         [0, 1, 2], lambda t: [F.linear(t[0], t[1], t[2])])
    r = rng_for("matmul", "no_bias")
    case("matmul", "no_bias", [uniform(r, (7, 12)), uniform(r, (5, 12))], [0, 1],
         lambda t: [F.linear(t[0], t[1])])
    r = rng_for("matmul", "batch1")
    case("matmul", "batch1", [uniform(r, (1, 33)), uniform(r, (17, 33)), uniform(r, (17,))],
         [0, 1, 2], lambda t: [F.linear(t[0], t[1], t[2])], note="odd sizes, one row")

    r = rng_for("softmax", "nchw_axis1")
    case("softmax", "nchw_axis1", [uniform(r, (2, 5, 3, 3), -3, 3)], [0],
         lambda t: [F.softmax(t[0], 1)], note="default axis 1")
    r = rng_for("softmax", "rows_axis_neg1")
    case("softmax", "rows_axis_neg1", [uniform(r, (4, 10), -3, 3)], [0],
         lambda t: [F.softmax(t[0], -1)], attrs=[int_("axis", -1)])
    r = rng_for("softmax", "large_logits_axis0")
    case("softmax", "large_logits_axis0", [uniform(r, (6, 4, 3), -80, 80)], [0],
         lambda t: [F.softmax(t[0], 0)], attrs=[int_("axis", 0)],
         note="logits in [-80, 80]: needs the max subtraction")

    def labels(r, batch, classes):
        return r.integers(0, classes, size=batch).astype(np.float32)

    r = rng_for("softmax_cross_entropy", "basic")
    case("softmax_cross_entropy", "basic", [uniform(r, (6, 5), -2, 2), labels(r, 6, 5)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())])
    r = rng_for("softmax_cross_entropy", "large_logits")
    case("softmax_cross_entropy", "large_logits",
         [uniform(r, (4, 10), -60, 60), labels(r, 4, 10)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())], note="logits in [-60, 60]")
    r = rng_for("softmax_cross_entropy", "batch1")
    case("softmax_cross_entropy", "batch1", [uniform(r, (1, 3), -2, 2), labels(r, 1, 3)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())])

    def l2(t):
        return [0.5 * F.mse_loss(t[0], t[1], reduction="sum") / t[0].shape[0]]

    r = rng_for("l2_loss", "matrix")
    case("l2_loss", "matrix", [uniform(r, (5, 8)), uniform(r, (5, 8))], [0, 1], l2)
    r = rng_for("l2_loss", "nchw")
    case("l2_loss", "nchw", [uniform(r, (3, 2, 4, 4)), uniform(r, (3, 2, 4, 4))], [0, 1], l2)


def conv_cases():
    def conv(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        return lambda t: [F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None, stride=stride,
                                   padding=padding, dilation=dilation, groups=groups)]

    r = rng_for("conv2d", "basic_bias")
    case("conv2d", "basic_bias",
         [uniform(r, (2, 3, 6, 6)), uniform(r, (4, 3, 3, 3)), uniform(r, (4,))], [0, 1, 2],
         conv(), note="defaults: stride 1, no padding")
    r = rng_for("conv2d", "stride2_pad1_nobias")
    case("conv2d", "stride2_pad1_nobias", [uniform(r, (2, 2, 7, 7)), uniform(r, (3, 2, 3, 3))],
         [0, 1], conv(stride=(2, 2), padding=(1, 1)),
         attrs=[ints("stride", 2, 2), ints("padding", 1, 1)])
    r = rng_for("conv2d", "dilation2_groups2")
    case("conv2d", "dilation2_groups2",
         [uniform(r, (1, 4, 8, 8)), uniform(r, (6, 2, 3, 3)), uniform(r, (6,))], [0, 1, 2],
         conv(padding=(2, 1), dilation=(2, 2), groups=2),
         attrs=[ints("padding", 2, 1), ints("dilation", 2, 2), int_("groups", 2)])
    r = rng_for("conv2d", "rect_asym_depthwise")
    case("conv2d", "rect_asym_depthwise",
         [uniform(r, (2, 3, 7, 9)), uniform(r, (3, 1, 2, 3)), uniform(r, (3,))], [0, 1, 2],
         conv(stride=(1, 2), padding=(1, 0), dilation=(1, 2), groups=3),
         attrs=[ints("stride", 1, 2), ints("padding", 1, 0), ints("dilation", 1, 2),
                int_("groups", 3)],
         note="2x3 kernel, per-axis stride/padding/dilation, depthwise")

    def convt(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
        return lambda t: [F.conv_transpose2d(t[0], t[1], t[2] if len(t) > 2 else None,
                                             stride=stride, padding=padding,
                                             output_padding=output_padding, groups=groups,
                                             dilation=dilation)]

    r = rng_for("conv_transpose2d", "basic_bias")
    case("conv_transpose2d", "basic_bias",
         [uniform(r, (2, 3, 4, 4)), uniform(r, (3, 2, 3, 3)), uniform(r, (2,))], [0, 1, 2],
         convt())
    r = rng_for("conv_transpose2d", "stride2_pad1_outpad1")
    case("conv_transpose2d", "stride2_pad1_outpad1",
         [uniform(r, (2, 2, 4, 4)), uniform(r, (2, 3, 3, 3)), uniform(r, (3,))], [0, 1, 2],
         convt(stride=(2, 2), padding=(1, 1), output_padding=(1, 1)),
         attrs=[ints("stride", 2, 2), ints("padding", 1, 1), ints("output_padding", 1, 1)])
    r = rng_for("conv_transpose2d", "groups2_dilation2_nobias")
    case("conv_transpose2d", "groups2_dilation2_nobias",
         [uniform(r, (1, 4, 4, 5)), uniform(r, (4, 3, 3, 2))], [0, 1],
         convt(padding=(1, 1), dilation=(2, 2), groups=2),
         attrs=[ints("padding", 1, 1), ints("dilation", 2, 2), int_("groups", 2)],
         note="weight [Cin=4, Cout/groups=3, 3, 2]")
    r = rng_for("conv_transpose2d", "rect_asym_outpad")
    case("conv_transpose2d", "rect_asym_outpad",
         [uniform(r, (2, 2, 3, 4)), uniform(r, (2, 2, 2, 3)), uniform(r, (2,))], [0, 1, 2],
         convt(stride=(3, 2), padding=(0, 1), output_padding=(2, 0), dilation=(1, 1)),
         attrs=[ints("stride", 3, 2), ints("padding", 0, 1), ints("output_padding", 2, 0)],
         note="output_padding 2 along h (< stride 3)")


def pool_cases():
    def maxp(kernel, stride=None, padding=(0, 0), ceil_mode=False):
        return lambda t: [F.max_pool2d(t[0], kernel, stride=stride, padding=padding,
                                       ceil_mode=ceil_mode)]

    r = rng_for("maxpool2d", "k2")
    case("maxpool2d", "k2", [spaced(r, (2, 3, 6, 6))], [0], maxp((2, 2)),
         attrs=[ints("kernel", 2, 2)], note="stride defaults to the kernel")
    r = rng_for("maxpool2d", "k3_s2_pad1")
    case("maxpool2d", "k3_s2_pad1", [spaced(r, (2, 2, 7, 7))], [0],
         maxp((3, 3), (2, 2), (1, 1)),
         attrs=[ints("kernel", 3, 3), ints("stride", 2, 2), ints("padding", 1, 1)],
         note="overlapping windows, padding")
    r = rng_for("maxpool2d", "ceil_mode")
    # 8x10: floor mode gives 4x3, ceil mode 5x4 (the last windows are partial).
    case("maxpool2d", "ceil_mode", [spaced(r, (1, 3, 8, 10))], [0],
         maxp((3, 2), (2, 3), (1, 0), True),
         attrs=[ints("kernel", 3, 2), ints("stride", 2, 3), ints("padding", 1, 0),
                bool_("ceil_mode", True)], note="ceil_mode, rectangular kernel and stride")
    r = rng_for("maxpool2d", "ceil_mode_drop_last")
    case("maxpool2d", "ceil_mode_drop_last", [spaced(r, (1, 2, 5, 5))], [0],
         maxp((2, 2), (2, 2), (1, 1), True),
         attrs=[ints("kernel", 2, 2), ints("stride", 2, 2), ints("padding", 1, 1),
                bool_("ceil_mode", True)],
         note="ceil_mode where a last window would start in the padding and is dropped "
              "(so the output is 3x3, as in floor mode)")

    def avgp(kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True):
        return lambda t: [F.avg_pool2d(t[0], kernel, stride=stride, padding=padding,
                                       ceil_mode=ceil_mode, count_include_pad=count_include_pad)]

    r = rng_for("avgpool2d", "k2")
    case("avgpool2d", "k2", [uniform(r, (2, 3, 6, 6))], [0], avgp((2, 2)),
         attrs=[ints("kernel", 2, 2)])
    r = rng_for("avgpool2d", "k3_s2_pad1_include_pad")
    case("avgpool2d", "k3_s2_pad1_include_pad", [uniform(r, (2, 2, 7, 7))], [0],
         avgp((3, 3), (2, 2), (1, 1)),
         attrs=[ints("kernel", 3, 3), ints("stride", 2, 2), ints("padding", 1, 1)],
         note="count_include_pad default true")
    r = rng_for("avgpool2d", "k3_s2_pad1_exclude_pad")
    case("avgpool2d", "k3_s2_pad1_exclude_pad", [uniform(r, (2, 2, 7, 7))], [0],
         avgp((3, 3), (2, 2), (1, 1), count_include_pad=False),
         attrs=[ints("kernel", 3, 3), ints("stride", 2, 2), ints("padding", 1, 1),
                bool_("count_include_pad", False)])
    r = rng_for("avgpool2d", "ceil_mode_include_pad")
    case("avgpool2d", "ceil_mode_include_pad", [uniform(r, (1, 3, 6, 7))], [0],
         avgp((3, 2), (2, 2), (1, 1), ceil_mode=True),
         attrs=[ints("kernel", 3, 2), ints("stride", 2, 2), ints("padding", 1, 1),
                bool_("ceil_mode", True)],
         note="ceil_mode: the last window hangs past the padding; divisor rule")
    r = rng_for("avgpool2d", "ceil_mode_exclude_pad")
    case("avgpool2d", "ceil_mode_exclude_pad", [uniform(r, (1, 3, 6, 7))], [0],
         avgp((3, 2), (2, 2), (1, 1), ceil_mode=True, count_include_pad=False),
         attrs=[ints("kernel", 3, 2), ints("stride", 2, 2), ints("padding", 1, 1),
                bool_("ceil_mode", True), bool_("count_include_pad", False)])
    r = rng_for("avgpool2d", "global")
    case("avgpool2d", "global", [uniform(r, (2, 4, 5, 3))], [0],
         lambda t: [F.adaptive_avg_pool2d(t[0], 1)], attrs=[bool_("global", True)])
    for name, shape, size in [("7x5_to_3x2", (2, 3, 7, 5), (3, 2)), ("1x1_to_6x6", (2, 4, 1, 1), (6, 6)),
                              ("5x9_to_4x4", (1, 2, 5, 9), (4, 4))]:
        r = rng_for("adaptive_avgpool2d", name)
        case("adaptive_avgpool2d", name, [uniform(r, shape)], [0],
             lambda t, size=size: [F.adaptive_avg_pool2d(t[0], size)], attrs=[ints("output_size", *size)])

    def up(scale, mode, align_corners=None):
        return lambda t: [F.interpolate(t[0], scale_factor=scale, mode=mode,
                                        align_corners=align_corners)]

    r = rng_for("upsample2d", "nearest_2x3")
    case("upsample2d", "nearest_2x3", [uniform(r, (2, 2, 3, 4))], [0], up((2, 3), "nearest"),
         attrs=[ints("scale", 2, 3)], note="mode default nearest")
    r = rng_for("upsample2d", "bilinear_2x2")
    case("upsample2d", "bilinear_2x2", [uniform(r, (2, 2, 4, 3))], [0],
         up((2, 2), "bilinear", False),
         attrs=[ints("scale", 2, 2), string("mode", "bilinear")], note="align_corners false")
    r = rng_for("upsample2d", "bilinear_3x2_align_corners")
    case("upsample2d", "bilinear_3x2_align_corners", [uniform(r, (1, 3, 4, 5))], [0],
         up((3, 2), "bilinear", True),
         attrs=[ints("scale", 3, 2), string("mode", "bilinear"), bool_("align_corners", True)])
    r = rng_for("upsample2d", "bilinear_3x1_height1")
    case("upsample2d", "bilinear_3x1_height1", [uniform(r, (2, 2, 1, 5))], [0],
         up((3, 1), "bilinear", False),
         attrs=[ints("scale", 3, 1), string("mode", "bilinear")],
         note="height 1 (clamped taps), scale 1 along w")


def norm_cases():
    def lrn(size, alpha, beta, k):
        return lambda t: [F.local_response_norm(t[0], size, alpha=alpha, beta=beta, k=k)]

    # k is passed explicitly: Tessera's default is 2 (AlexNet), PyTorch's 1.
    r = rng_for("lrn", "size5_alexnet")
    case("lrn", "size5_alexnet", [uniform(r, (2, 7, 3, 3), -2, 2)], [0], lrn(5, 0.5, 0.75, 2.0),
         attrs=[int_("size", 5), float_("alpha", 0.5), float_("beta", 0.75), float_("k", 2.0)],
         note="alpha large enough that the normalization matters")
    r = rng_for("lrn", "defaults")
    case("lrn", "defaults", [uniform(r, (2, 6, 3, 3), -3, 3)], [0],
         lrn(5, float(np.float32(1e-4)), 0.75, 2.0),
         note="schema defaults size 5, alpha 1e-4, beta 0.75, k 2")
    r = rng_for("lrn", "even_size4_k1")
    case("lrn", "even_size4_k1", [uniform(r, (2, 6, 2, 3), -2, 2)], [0], lrn(4, 1.0, 0.5, 1.0),
         attrs=[int_("size", 4), float_("alpha", 1.0), float_("beta", 0.5), float_("k", 1.0)],
         note="even size: window reaches one further back")
    r = rng_for("lrn", "rank3_size3")
    case("lrn", "rank3_size3", [uniform(r, (3, 5, 4), -2, 2)], [0], lrn(3, 0.25, 1.25, 1.5),
         attrs=[int_("size", 3), float_("alpha", 0.25), float_("beta", 1.25), float_("k", 1.5)],
         note="[N, C, L] input")

    # Tessera's defaults are float32: use exactly those values.
    F32_0_1, F32_1E_5 = float(np.float32(0.1)), float(np.float32(1e-5))

    def bn_inputs(r, shape):
        c = shape[1]
        x = (uniform(r, shape, -2, 2) + r.uniform(-1, 1, size=(1, c, 1, 1))).astype(np.float32)
        return [x, uniform(r, (c,), 0.5, 1.5), uniform(r, (c,), -0.5, 0.5),
                uniform(r, (c,), -0.5, 0.5), uniform(r, (c,), 0.5, 1.5)]

    def bn_train(momentum, eps):
        def fn(t):
            x, gamma, beta, rm, rv = t
            rm_buf, rv_buf = rm.detach().clone(), rv.detach().clone()
            y = F.batch_norm(x, rm_buf, rv_buf, gamma, beta, training=True, momentum=momentum,
                             eps=eps)
            # The running-stat outputs, written out so that they are
            # differentiable; checked against PyTorch's in-place update.
            new_rm = (1 - momentum) * rm + momentum * x.mean(dim=(0, 2, 3))
            new_rv = (1 - momentum) * rv + momentum * x.var(dim=(0, 2, 3), unbiased=True)
            assert torch.allclose(new_rm, rm_buf, rtol=1e-12, atol=1e-12)
            assert torch.allclose(new_rv, rv_buf, rtol=1e-12, atol=1e-12)
            return [y, new_rm, new_rv]
        return fn

    def bn_eval(eps):
        def fn(t):
            x, gamma, beta, rm, rv = t
            y = F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=eps)
            return [y, rm * 1, rv * 1]
        return fn

    def dy_only(r, outs):
        return [uniform(r, tuple(outs[0].shape))] + [np.zeros(tuple(o.shape), np.float32)
                                                     for o in outs[1:]]

    r = rng_for("batch_norm2d", "train_defaults")
    case("batch_norm2d", "train_defaults", bn_inputs(r, (4, 3, 3, 3)), [0, 1, 2],
         bn_train(F32_0_1, F32_1E_5), dout=dy_only,
         note="training; gradient only into y, zero into the running-stat outputs")
    r = rng_for("batch_norm2d", "train_momentum_eps")
    case("batch_norm2d", "train_momentum_eps", bn_inputs(r, (2, 4, 3, 2)), [0, 1, 2],
         bn_train(0.25, 0.125), dout=dy_only,
         attrs=[float_("momentum", 0.25), float_("epsilon", 0.125)])
    r = rng_for("batch_norm2d", "train_all_output_grads")
    case("batch_norm2d", "train_all_output_grads", bn_inputs(r, (3, 2, 2, 3)), [0, 1, 2],
         bn_train(0.5, F32_1E_5), attrs=[float_("momentum", 0.5)],
         note="gradient into every output, so the x gradient includes the paths through "
              "new_running_mean and new_running_var")
    r = rng_for("batch_norm2d", "eval")
    case("batch_norm2d", "eval", bn_inputs(r, (2, 3, 3, 3)), [0, 1, 2], bn_eval(F32_1E_5),
         training=False, dout=dy_only, note="evaluation: normalizes with the running stats")


# ---------------------------------------------------------------------------
# Running and writing.


def format_attr(name, typ, value):
    if typ == "ints":
        vals = " ".join(str(int(v)) for v in value)
    elif typ == "floats":
        vals = " ".join(repr(float(v)) for v in value)
    elif typ == "float":
        vals = repr(float(value))
    elif typ == "bool":
        vals = "true" if value else "false"
    elif typ == "int":
        vals = str(int(value))
    elif typ == "string":
        assert value and " " not in value
        vals = value
    else:
        raise ValueError(typ)
    return ("attr %s %s %s" % (name, typ, vals)).rstrip()


def save(path, array):
    # np.array, not np.ascontiguousarray, which turns a scalar into shape (1,).
    array = np.array(array, dtype=np.float32, order="C")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=(1, 0), allow_pickle=False)


def run_case(c):
    d = os.path.join(OUT_DIR, c.op, c.name)
    os.makedirs(d)
    tensors = []
    for i, x in enumerate(c.inputs):
        assert x.dtype == np.float32
        save(os.path.join(d, "in%d.npy" % i), x)
        t = torch.from_numpy(x.astype(np.float64))
        if i in c.diff:
            t.requires_grad_(True)
        tensors.append(t)
    outs = c.fn(tensors)
    r = rng_for(c.op, c.name + "/dout")
    if c.dout is not None:
        douts = c.dout(r, outs)
    else:
        douts = [uniform(r, tuple(o.shape)) for o in outs]
    for k, (o, g) in enumerate(zip(outs, douts)):
        assert o.dtype == torch.float64
        save(os.path.join(d, "out%d.npy" % k), o.detach().numpy())
        save(os.path.join(d, "dout%d.npy" % k), g)
    # Outputs that do not depend on a differentiable input (batch_norm2d's
    # running stats in evaluation) pass no gradient back.
    live = [k for k, o in enumerate(outs) if o.requires_grad]
    grads = torch.autograd.grad([outs[k] for k in live], [tensors[i] for i in c.diff],
                                [torch.from_numpy(douts[k].astype(np.float64)) for k in live],
                                allow_unused=True)
    for i, g in zip(c.diff, grads):
        if g is None:
            g = torch.zeros_like(tensors[i])
        save(os.path.join(d, "din%d.npy" % i), g.numpy())

    lines = ["case %s %s" % (c.op, c.name),
             "training %s" % ("true" if c.training else "false"),
             "inputs %d" % len(c.inputs),
             "outputs %d" % len(outs),
             ("grad_inputs " + " ".join(str(i) for i in c.diff)).rstrip()]
    lines += [format_attr(*a) for a in c.attrs]
    if c.note:
        lines.append("note " + c.note)
    return lines


def self_checks():
    # Nearest upsampling: PyTorch's index rule equals Tessera's dst / scale.
    x = torch.arange(12, dtype=torch.float64).view(1, 1, 3, 4)
    y = F.interpolate(x, scale_factor=(2, 3), mode="nearest")
    ref = x.numpy()[:, :, np.arange(6)[:, None] // 2, np.arange(12)[None, :] // 3]
    assert np.array_equal(y.numpy(), ref)


def main():
    self_checks()
    elementwise_cases()
    dropout_cases()
    shape_cases()
    dense_cases()
    conv_cases()
    pool_cases()
    norm_cases()
    names = [(c.op, c.name) for c in CASES]
    assert len(set(names)) == len(names), "duplicate case names"

    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    manifest = [
        "# Golden cases for ops/golden/golden_test.cc. Generated by",
        "#   /usr/bin/python3 tools/golden/make_golden.py",
        "# with torch %s, numpy %s (float64 reference, rounded to float32)."
        % (torch.__version__, np.__version__),
        "# Do not edit by hand; the format is described in the script.",
        "",
    ]
    for c in sorted(CASES, key=lambda c: (c.op, c.name)):
        manifest += run_case(c)
        manifest.append("")
    with open(os.path.join(OUT_DIR, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest))

    total = 0
    for dirpath, _, files in os.walk(OUT_DIR):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print("wrote %d cases of %d ops to %s (%.1f KiB)"
          % (len(CASES), len(set(c.op for c in CASES)), os.path.relpath(OUT_DIR, ROOT),
             total / 1024.0))


if __name__ == "__main__":
    sys.exit(main())
