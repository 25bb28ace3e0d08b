"""PyTorch golden cases for transpose: tools/golden/make_golden.py runs
cases() and writes the data under ops/transpose/golden/ for
ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("transpose", "matrix")
    case("transpose", "matrix", [uniform(r, (5, 3))], [0], lambda t: [t[0].t()],
         attrs=[ints("perm", 1, 0)])
    r = rng_for("transpose", "nchw_to_nhwc")
    case("transpose", "nchw_to_nhwc", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [t[0].permute(0, 2, 3, 1)], attrs=[ints("perm", 0, 2, 3, 1)])
    r = rng_for("transpose", "rank3_perm201")
    case("transpose", "rank3_perm201", [uniform(r, (2, 3, 4))], [0],
         lambda t: [t[0].permute(2, 0, 1)], attrs=[ints("perm", 2, 0, 1)])
