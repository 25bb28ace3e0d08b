"""PyTorch golden cases for concat: tools/golden/make_golden.py runs cases()
and writes the data under ops/concat/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
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
