"""PyTorch golden cases for sigmoid: tools/golden/make_golden.py runs cases()
and writes the data under ops/sigmoid/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    unary_cases("sigmoid", torch.sigmoid)
