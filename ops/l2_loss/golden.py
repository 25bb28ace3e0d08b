"""PyTorch golden cases for l2_loss: tools/golden/make_golden.py runs cases()
and writes the data under ops/l2_loss/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("l2_loss", "matrix")
    def l2(t):
        return [0.5 * F.mse_loss(t[0], t[1], reduction="sum") / t[0].shape[0]]

    case("l2_loss", "matrix", [uniform(r, (5, 8)), uniform(r, (5, 8))], [0, 1], l2)
    r = rng_for("l2_loss", "nchw")
    case("l2_loss", "nchw", [uniform(r, (3, 2, 4, 4)), uniform(r, (3, 2, 4, 4))], [0, 1], l2)
