"""PyTorch golden cases for tanh: tools/golden/make_golden.py runs cases()
and writes the data under ops/tanh/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    unary_cases("tanh", torch.tanh)
