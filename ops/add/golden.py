"""PyTorch golden cases for add: tools/golden/make_golden.py runs cases()
and writes the data under ops/add/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("add", "nchw")
    case("add", "nchw", [uniform(r, (2, 3, 4, 5)), uniform(r, (2, 3, 4, 5))], [0, 1],
         lambda t: [t[0] + t[1]])
    r = rng_for("add", "matrix")
    case("add", "matrix", [uniform(r, (6, 7)), uniform(r, (6, 7))], [0, 1],
         lambda t: [t[0] + t[1]])
