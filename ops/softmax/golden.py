"""PyTorch golden cases for softmax: tools/golden/make_golden.py runs cases()
and writes the data under ops/softmax/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
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
