"""PyTorch golden cases for flatten: tools/golden/make_golden.py runs cases()
and writes the data under ops/flatten/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
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
