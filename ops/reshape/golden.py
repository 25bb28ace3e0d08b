"""PyTorch golden cases for reshape: tools/golden/make_golden.py runs cases()
and writes the data under ops/reshape/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("reshape", "keep_batch_infer")
    case("reshape", "keep_batch_infer", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [t[0].reshape(2, -1)], attrs=[ints("shape", 0, -1)],
         note="0 copies the batch, -1 inferred")
    r = rng_for("reshape", "explicit")
    case("reshape", "explicit", [uniform(r, (4, 6))], [0],
         lambda t: [t[0].reshape(2, 3, 4)], attrs=[ints("shape", 2, 3, 4)])
    r = rng_for("reshape", "infer_middle")
    case("reshape", "infer_middle", [uniform(r, (3, 8, 2))], [0],
         lambda t: [t[0].reshape(3, -1, 4)], attrs=[ints("shape", 0, -1, 4)])
