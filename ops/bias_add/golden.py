"""PyTorch golden cases for bias_add: tools/golden/make_golden.py runs cases()
and writes the data under ops/bias_add/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("bias_add", "nchw")
    case("bias_add", "nchw", [uniform(r, (2, 4, 3, 5)), uniform(r, (4,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1, 1, 1)])
    r = rng_for("bias_add", "matrix")
    case("bias_add", "matrix", [uniform(r, (5, 7)), uniform(r, (7,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1)])
    r = rng_for("bias_add", "rank3")
    case("bias_add", "rank3", [uniform(r, (2, 3, 6)), uniform(r, (3,))], [0, 1],
         lambda t: [t[0] + t[1].view(1, -1, 1)])
