"""PyTorch golden cases for avgpool2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/avgpool2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("avgpool2d", "k2")
    def avgp(kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True):
        return lambda t: [F.avg_pool2d(t[0], kernel, stride=stride, padding=padding,
                                       ceil_mode=ceil_mode, count_include_pad=count_include_pad)]

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
