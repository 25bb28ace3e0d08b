"""PyTorch golden cases for adaptive_avgpool2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/adaptive_avgpool2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    for name, shape, size in [("7x5_to_3x2", (2, 3, 7, 5), (3, 2)), ("1x1_to_6x6", (2, 4, 1, 1), (6, 6)),
                              ("5x9_to_4x4", (1, 2, 5, 9), (4, 4))]:
        r = rng_for("adaptive_avgpool2d", name)
        case("adaptive_avgpool2d", name, [uniform(r, shape)], [0],
             lambda t, size=size: [F.adaptive_avg_pool2d(t[0], size)], attrs=[ints("output_size", *size)])
