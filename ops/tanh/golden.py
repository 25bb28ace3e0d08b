"""PyTorch golden cases for tanh: tools/golden/make_golden.py runs cases()
and writes the data under ops/tanh/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    for op, fn in [("tanh", torch.tanh)]:
        r = rng_for(op, "small")
        case(op, "small", [uniform(r, (2, 3, 4, 5), -3, 3)], [0], lambda t, fn=fn: [fn(t[0])],
             note="values in [-3, 3]")
        r = rng_for(op, "wide_2d")
        case(op, "wide_2d", [uniform(r, (4, 16), -40, 40)], [0], lambda t, fn=fn: [fn(t[0])],
             note="values in [-40, 40]: saturation, no overflow")
