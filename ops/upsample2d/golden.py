"""PyTorch golden cases for upsample2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/upsample2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("upsample2d", "nearest_2x3")
    def up(scale, mode, align_corners=None):
        return lambda t: [F.interpolate(t[0], scale_factor=scale, mode=mode,
                                        align_corners=align_corners)]

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
