"""Helpers for the PyTorch golden cases: each op's ops/<op>/golden.py
imports these (`from golden_lib import *`) and tools/golden/make_golden.py
runs them. See make_golden.py for what is generated and the manifest format.
"""
import os
import shutil
import sys  # noqa: F401
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

# ---------------------------------------------------------------------------
# Case description helpers.


class Case:
    """One golden case: inputs (float32 numpy), attributes, a torch function.

    fn(inputs as float64 torch tensors, requires_grad where differentiable)
    returns the list of outputs (float64 torch tensors).
    """

    def __init__(self, op, name, inputs, diff, fn, attrs=(), training=True, note="",
                 dout=None):
        self.op = op
        self.name = name
        self.inputs = inputs
        self.diff = diff  # indices of differentiable inputs (Tessera's schema)
        self.fn = fn
        self.attrs = list(attrs)  # (name, type, value)
        self.training = training
        self.note = note
        self.dout = dout  # optional fn(rng, outputs) -> list of output grads


def rng_for(op, name):
    return np.random.default_rng(zlib.crc32(("%s/%s" % (op, name)).encode()))


def uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def spaced(rng, shape, gap=0.05):
    """Distinct values, at least `gap` apart, shuffled (no max-pool ties)."""
    n = int(np.prod(shape))
    v = (np.arange(n, dtype=np.float64) - n / 2) * gap
    v += rng.uniform(0, gap / 4, size=n)
    rng.shuffle(v)
    return v.reshape(shape).astype(np.float32)


def ints(name, *v):
    return (name, "ints", list(v))


def int_(name, v):
    return (name, "int", v)


def float_(name, v):
    assert float(np.float32(v)) == v, "float attr %s=%r is not exact in float32" % (name, v)
    return (name, "float", v)


def bool_(name, v):
    return (name, "bool", v)


def string(name, v):
    return (name, "string", v)


CASES = []


def case(*args, **kwargs):
    CASES.append(Case(*args, **kwargs))


def unary_cases(op, fn):
    """The two cases of a one-input elementwise op: small values, and large
    ones (saturation, no overflow)."""
    r = rng_for(op, "small")
    case(op, "small", [uniform(r, (2, 3, 4, 5), -3, 3)], [0], lambda t: [fn(t[0])],
         note="values in [-3, 3]")
    r = rng_for(op, "wide_2d")
    case(op, "wide_2d", [uniform(r, (4, 16), -40, 40)], [0], lambda t: [fn(t[0])],
         note="values in [-40, 40]: saturation, no overflow")


# ---------------------------------------------------------------------------
# Running and writing.


def format_attr(name, typ, value):
    if typ == "ints":
        vals = " ".join(str(int(v)) for v in value)
    elif typ == "floats":
        vals = " ".join(repr(float(v)) for v in value)
    elif typ == "float":
        vals = repr(float(value))
    elif typ == "bool":
        vals = "true" if value else "false"
    elif typ == "int":
        vals = str(int(value))
    elif typ == "string":
        assert value and " " not in value
        vals = value
    else:
        raise ValueError(typ)
    return ("attr %s %s %s" % (name, typ, vals)).rstrip()


def save(path, array):
    # np.array, not np.ascontiguousarray, which turns a scalar into shape (1,).
    array = np.array(array, dtype=np.float32, order="C")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=(1, 0), allow_pickle=False)


def golden_dir(op):
    return os.path.join(ROOT, "ops", op, "golden")


def run_case(c):
    d = os.path.join(golden_dir(c.op), c.name)
    os.makedirs(d)
    tensors = []
    for i, x in enumerate(c.inputs):
        assert x.dtype == np.float32
        save(os.path.join(d, "in%d.npy" % i), x)
        t = torch.from_numpy(x.astype(np.float64))
        if i in c.diff:
            t.requires_grad_(True)
        tensors.append(t)
    outs = c.fn(tensors)
    r = rng_for(c.op, c.name + "/dout")
    if c.dout is not None:
        douts = c.dout(r, outs)
    else:
        douts = [uniform(r, tuple(o.shape)) for o in outs]
    for k, (o, g) in enumerate(zip(outs, douts)):
        assert o.dtype == torch.float64
        save(os.path.join(d, "out%d.npy" % k), o.detach().numpy())
        save(os.path.join(d, "dout%d.npy" % k), g)
    # Outputs that do not depend on a differentiable input (batch_norm2d's
    # running stats in evaluation) pass no gradient back.
    live = [k for k, o in enumerate(outs) if o.requires_grad]
    grads = torch.autograd.grad([outs[k] for k in live], [tensors[i] for i in c.diff],
                                [torch.from_numpy(douts[k].astype(np.float64)) for k in live],
                                allow_unused=True)
    for i, g in zip(c.diff, grads):
        if g is None:
            g = torch.zeros_like(tensors[i])
        save(os.path.join(d, "din%d.npy" % i), g.numpy())

    lines = ["case %s %s" % (c.op, c.name),
             "training %s" % ("true" if c.training else "false"),
             "inputs %d" % len(c.inputs),
             "outputs %d" % len(outs),
             ("grad_inputs " + " ".join(str(i) for i in c.diff)).rstrip()]
    lines += [format_attr(*a) for a in c.attrs]
    if c.note:
        lines.append("note " + c.note)
    return lines


def self_checks():
    # Nearest upsampling: PyTorch's index rule equals Tessera's dst / scale.
    x = torch.arange(12, dtype=torch.float64).view(1, 1, 3, 4)
    y = F.interpolate(x, scale_factor=(2, 3), mode="nearest")
    ref = x.numpy()[:, :, np.arange(6)[:, None] // 2, np.arange(12)[None, :] // 3]
    assert np.array_equal(y.numpy(), ref)
