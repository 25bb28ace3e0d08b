"""PyTorch golden cases for dropout: tools/golden/make_golden.py runs cases()
and writes the data under ops/dropout/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    # Training with rate > 0 draws Tessera's own mask (splitmix64), which
    # PyTorch cannot reproduce: only the deterministic modes are compared.
    r = rng_for("dropout", "eval")
    case("dropout", "eval", [uniform(r, (2, 3, 4, 5))], [0],
         lambda t: [F.dropout(t[0], p=0.5, training=False), torch.ones_like(t[0])],
         attrs=[float_("rate", 0.5)], training=False,
         note="evaluation: the identity; output 1 (the 0/1 mask, which F.dropout does not "
              "return) keeps everything")
    r = rng_for("dropout", "train_rate0")
    case("dropout", "train_rate0", [uniform(r, (4, 9))], [0],
         lambda t: [F.dropout(t[0], p=0.0, training=True), torch.ones_like(t[0])],
         attrs=[float_("rate", 0.0)], training=True,
         note="training with rate 0: every element kept, scale 1; the mask is all ones")
