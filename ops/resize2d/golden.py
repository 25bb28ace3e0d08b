"""PyTorch golden cases for resize2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/resize2d/golden/ for ops/golden:golden_test.
F.interpolate's modes are ONNX Resize modes: nearest = asymmetric + floor,
bilinear = linear with pytorch_half_pixel (or align_corners), bicubic =
cubic (a = -0.75) with half_pixel (or align_corners)."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    def resize(size, mode, align_corners=None):
        return lambda t: [F.interpolate(t[0], size=size, mode=mode, align_corners=align_corners)]

    # Sizes where no output's source coordinate is a whole number but 0, so
    # PyTorch's float32 scale cannot round a floor the other way.
    r = rng_for("resize2d", "nearest_5x4_to_3x7")
    case("resize2d", "nearest_5x4_to_3x7", [uniform(r, (2, 2, 5, 4))], [0],
         resize((3, 7), "nearest"),
         attrs=[ints("size", 3, 7), string("coordinate_transformation_mode", "asymmetric"),
                string("nearest_mode", "floor")])
    r = rng_for("resize2d", "linear_5x7_to_3x4")
    case("resize2d", "linear_5x7_to_3x4", [uniform(r, (2, 2, 5, 7))], [0],
         resize((3, 4), "bilinear", False),
         attrs=[ints("size", 3, 4), string("mode", "linear"),
                string("coordinate_transformation_mode", "pytorch_half_pixel")],
         note="downsampling")
    r = rng_for("resize2d", "linear_align_corners_3x4_to_7x9")
    case("resize2d", "linear_align_corners_3x4_to_7x9", [uniform(r, (1, 3, 3, 4))], [0],
         resize((7, 9), "bilinear", True),
         attrs=[ints("size", 7, 9), string("mode", "linear"),
                string("coordinate_transformation_mode", "align_corners")])
    r = rng_for("resize2d", "cubic_4x5_to_7x3")
    case("resize2d", "cubic_4x5_to_7x3", [uniform(r, (2, 2, 4, 5))], [0],
         resize((7, 3), "bicubic", False),
         attrs=[ints("size", 7, 3), string("mode", "cubic")],
         note="half_pixel, cubic_coeff_a -0.75, edge cells repeated")
    r = rng_for("resize2d", "cubic_align_corners_4x4_to_6x9")
    case("resize2d", "cubic_align_corners_4x4_to_6x9", [uniform(r, (1, 2, 4, 4))], [0],
         resize((6, 9), "bicubic", True),
         attrs=[ints("size", 6, 9), string("mode", "cubic"),
                string("coordinate_transformation_mode", "align_corners")])
