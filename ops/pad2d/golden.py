"""PyTorch golden cases for pad2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/pad2d/golden/ for ops/golden:golden_test.
Tessera's pads are [top, left, bottom, right]; F.pad takes
(left, right, top, bottom). ONNX 'edge' is PyTorch's 'replicate'."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    def pad(top, left, bottom, right, mode, value=0.0):
        torch_mode = {"edge": "replicate"}.get(mode, mode)
        if mode == "constant":
            return lambda t: [F.pad(t[0], (left, right, top, bottom), mode="constant",
                                    value=value)]
        return lambda t: [F.pad(t[0], (left, right, top, bottom), mode=torch_mode)]

    r = rng_for("pad2d", "constant_asymmetric")
    case("pad2d", "constant_asymmetric", [uniform(r, (2, 3, 4, 5))], [0],
         pad(1, 3, 2, 0, "constant", 1.5),
         attrs=[ints("pads", 1, 3, 2, 0), float_("value", 1.5)],
         note="pads [top, left, bottom, right] = [1, 3, 2, 0], value 1.5")
    r = rng_for("pad2d", "reflect")
    case("pad2d", "reflect", [uniform(r, (2, 2, 4, 5))], [0], pad(3, 1, 2, 4, "reflect"),
         attrs=[ints("pads", 3, 1, 2, 4), string("mode", "reflect")],
         note="pads up to in - 1")
    r = rng_for("pad2d", "edge")
    case("pad2d", "edge", [uniform(r, (1, 3, 3, 4))], [0], pad(2, 0, 3, 5, "edge"),
         attrs=[ints("pads", 2, 0, 3, 5), string("mode", "edge")],
         note="pads wider than the image (replicate)")
    r = rng_for("pad2d", "constant_crop")
    case("pad2d", "constant_crop", [uniform(r, (2, 2, 5, 6))], [0],
         pad(-1, 2, 1, -3, "constant", 0.0),
         attrs=[ints("pads", -1, 2, 1, -3)], note="negative pads crop")
