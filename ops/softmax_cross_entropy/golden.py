"""PyTorch golden cases for softmax_cross_entropy: tools/golden/make_golden.py runs cases()
and writes the data under ops/softmax_cross_entropy/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("softmax_cross_entropy", "basic")
    def labels(r, batch, classes):
        return r.integers(0, classes, size=batch).astype(np.float32)

    case("softmax_cross_entropy", "basic", [uniform(r, (6, 5), -2, 2), labels(r, 6, 5)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())])
    r = rng_for("softmax_cross_entropy", "large_logits")
    case("softmax_cross_entropy", "large_logits",
         [uniform(r, (4, 10), -60, 60), labels(r, 4, 10)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())], note="logits in [-60, 60]")
    r = rng_for("softmax_cross_entropy", "batch1")
    case("softmax_cross_entropy", "batch1", [uniform(r, (1, 3), -2, 2), labels(r, 1, 3)], [0],
         lambda t: [F.cross_entropy(t[0], t[1].long())])
