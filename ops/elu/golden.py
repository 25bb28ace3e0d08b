"""PyTorch golden cases for elu: tools/golden/make_golden.py runs cases()
and writes the data under ops/elu/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("elu", "default_alpha")
    case("elu", "default_alpha", [uniform(r, (2, 3, 4, 4), -3, 3)], [0],
         lambda t: [F.elu(t[0], 1.0)], note="alpha default 1.0")
    r = rng_for("elu", "alpha_0_5")
    case("elu", "alpha_0_5", [uniform(r, (5, 12), -3, 3)], [0],
         lambda t: [F.elu(t[0], 0.5)], attrs=[float_("alpha", 0.5)])
    r = rng_for("elu", "wide_alpha_2")
    case("elu", "wide_alpha_2", [uniform(r, (4, 16), -40, 40)], [0],
         lambda t: [F.elu(t[0], 2.0)], attrs=[float_("alpha", 2.0)],
         note="values in [-40, 40]: saturation, no overflow")
