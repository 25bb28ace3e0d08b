"""PyTorch golden cases for leaky_relu: tools/golden/make_golden.py runs cases()
and writes the data under ops/leaky_relu/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("leaky_relu", "default_slope")
    case("leaky_relu", "default_slope", [uniform(r, (2, 3, 4, 4), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], 0.01)], note="negative_slope default 0.01")
    r = rng_for("leaky_relu", "slope_0_25")
    case("leaky_relu", "slope_0_25", [uniform(r, (5, 12), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], 0.25)], attrs=[float_("negative_slope", 0.25)])
    r = rng_for("leaky_relu", "slope_negative")
    case("leaky_relu", "slope_negative", [uniform(r, (3, 10), -2, 2)], [0],
         lambda t: [F.leaky_relu(t[0], -0.5)], attrs=[float_("negative_slope", -0.5)])
