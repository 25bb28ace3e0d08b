"""PyTorch golden cases for conv2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/conv2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("conv2d", "basic_bias")
    def conv(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        return lambda t: [F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None, stride=stride,
                                   padding=padding, dilation=dilation, groups=groups)]

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
    r = rng_for("conv2d", "winograd_3x3_16ch_odd")
    case("conv2d", "winograd_3x3_16ch_odd",
         [uniform(r, (1, 16, 25, 27)), uniform(r, (16, 16, 3, 3)), uniform(r, (16,))], [0, 1, 2],
         conv(padding=(1, 1)), attrs=[ints("padding", 1, 1)],
         note="16 channels each way, 25x27: forward and dx take Winograd F(4x4,3x3); odd sizes cut tiles")
    r = rng_for("conv2d", "direct_11x11_stride4_33ch")
    case("conv2d", "direct_11x11_stride4_33ch",
         [uniform(r, (3, 3, 27, 25)), uniform(r, (33, 3, 11, 11)), uniform(r, (33,))], [0, 1, 2],
         conv(stride=(4, 4), padding=(2, 2)), attrs=[ints("stride", 4, 4), ints("padding", 2, 2)],
         note="AlexNet conv1's kernel: forward and dW take the direct convolution (33 outputs: a partial channel block)")
    r = rng_for("conv2d", "direct_3x3_groups2_40ch")
    case("conv2d", "direct_3x3_groups2_40ch",
         [uniform(r, (1, 64, 9, 8)), uniform(r, (80, 32, 3, 3)), uniform(r, (80,))], [0, 1, 2],
         conv(padding=(1, 1), groups=2), attrs=[ints("padding", 1, 1), int_("groups", 2)],
         note="groups 2, 40 outputs and 32 inputs per group on a small map (no Winograd): forward, dx (a stride-1 convolution) and dW take the direct convolution")
