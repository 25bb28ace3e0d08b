"""PyTorch golden cases for mul: tools/golden/make_golden.py runs cases()
and writes the data under ops/mul/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("mul", "nchw")
    case("mul", "nchw", [uniform(r, (2, 3, 4, 5)), uniform(r, (2, 3, 4, 5))], [0, 1],
         lambda t: [t[0] * t[1]])
    r = rng_for("mul", "matrix")
    case("mul", "matrix", [uniform(r, (6, 7)), uniform(r, (6, 7))], [0, 1],
         lambda t: [t[0] * t[1]])
