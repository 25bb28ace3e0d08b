"""PyTorch golden cases for relu: tools/golden/make_golden.py runs cases()
and writes the data under ops/relu/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    unary_cases("relu", torch.relu)
