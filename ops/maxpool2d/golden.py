"""PyTorch golden cases for maxpool2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/maxpool2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("maxpool2d", "k2")
    def maxp(kernel, stride=None, padding=(0, 0), ceil_mode=False, dilation=1):
        # Output 1: PyTorch's return_indices (h * W + w within each plane),
        # Tessera's default indices layout, as float64 (no gradient).
        def fn(t):
            y, idx = F.max_pool2d(t[0], kernel, stride=stride, padding=padding,
                                  dilation=dilation, ceil_mode=ceil_mode, return_indices=True)
            return [y, idx.double()]
        return fn

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
    r = rng_for("maxpool2d", "dilated")
    case("maxpool2d", "dilated", [spaced(r, (2, 2, 9, 8))], [0],
         maxp((3, 2), (2, 1), (1, 1), True, (2, 3)),
         attrs=[ints("kernel", 3, 2), ints("stride", 2, 1), ints("padding", 1, 1),
                ints("dilation", 2, 3), bool_("ceil_mode", True)],
         note="dilation [2, 3] with padding and ceil_mode")
