"""PyTorch golden cases for conv_transpose2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/conv_transpose2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("conv_transpose2d", "basic_bias")
    def convt(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
        return lambda t: [F.conv_transpose2d(t[0], t[1], t[2] if len(t) > 2 else None,
                                             stride=stride, padding=padding,
                                             output_padding=output_padding, groups=groups,
                                             dilation=dilation)]

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
