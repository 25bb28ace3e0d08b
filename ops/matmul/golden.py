"""PyTorch golden cases for matmul: tools/golden/make_golden.py runs cases()
and writes the data under ops/matmul/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("matmul", "with_bias")
    case("matmul", "with_bias", [uniform(r, (4, 10)), uniform(r, (6, 10)), uniform(r, (6,))],
         [0, 1, 2], lambda t: [F.linear(t[0], t[1], t[2])])
    r = rng_for("matmul", "no_bias")
    case("matmul", "no_bias", [uniform(r, (7, 12)), uniform(r, (5, 12))], [0, 1],
         lambda t: [F.linear(t[0], t[1])])
    r = rng_for("matmul", "batch1")
    case("matmul", "batch1", [uniform(r, (1, 33)), uniform(r, (17, 33)), uniform(r, (17,))],
         [0, 1, 2], lambda t: [F.linear(t[0], t[1], t[2])], note="odd sizes, one row")
