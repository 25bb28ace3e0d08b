"""PyTorch golden cases for lrn: tools/golden/make_golden.py runs cases()
and writes the data under ops/lrn/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    def lrn(size, alpha, beta, k):
        return lambda t: [F.local_response_norm(t[0], size, alpha=alpha, beta=beta, k=k)]

    # k is passed explicitly: Tessera's default is 2 (AlexNet), PyTorch's 1.
    r = rng_for("lrn", "size5_alexnet")
    case("lrn", "size5_alexnet", [uniform(r, (2, 7, 3, 3), -2, 2)], [0], lrn(5, 0.5, 0.75, 2.0),
         attrs=[int_("size", 5), float_("alpha", 0.5), float_("beta", 0.75), float_("k", 2.0)],
         note="alpha large enough that the normalization matters")
    r = rng_for("lrn", "defaults")
    case("lrn", "defaults", [uniform(r, (2, 6, 3, 3), -3, 3)], [0],
         lrn(5, float(np.float32(1e-4)), 0.75, 2.0),
         note="schema defaults size 5, alpha 1e-4, beta 0.75, k 2")
    r = rng_for("lrn", "even_size4_k1")
    case("lrn", "even_size4_k1", [uniform(r, (2, 6, 2, 3), -2, 2)], [0], lrn(4, 1.0, 0.5, 1.0),
         attrs=[int_("size", 4), float_("alpha", 1.0), float_("beta", 0.5), float_("k", 1.0)],
         note="even size: window reaches one further back")
    r = rng_for("lrn", "rank3_size3")
    case("lrn", "rank3_size3", [uniform(r, (3, 5, 4), -2, 2)], [0], lrn(3, 0.25, 1.25, 1.5),
         attrs=[int_("size", 3), float_("alpha", 0.25), float_("beta", 1.25), float_("k", 1.5)],
         note="[N, C, L] input")
